"""Unpaired data: a loss with a matching variable, solved by alternating
minimisation (assignment step, SVD step).

Introduced in the chapter `unpaired`. Besides ``n`` pairs
``(X, Y)`` there are unpaired samples ``Xu`` (m1 x d1) and ``Yu`` (m2 x d2);
some rows of ``Xu`` have their partner (same latent ``z``) among the rows of
``Yu``, in a hidden order. The unpaired samples are centred once at their own
means. In a round with current encoders ``(G1, G2)`` every unpaired sample is
rescaled so that its embedding has the root-mean-square norm of its modality
(``xv_i = xu_i * nu / |G1 xu_i|``, likewise ``yv_j``; the scales are then
frozen for the round, as the weights ``beta`` are frozen in the chapter `loss_to_svd`).
For a partial matching ``P`` (pairs ``(i, j)``,
each row used at most once) the loss of the round is::

    L(G1, G2, P) = L_lin(G1, G2; X, Y)
                   - lam/(n-1) * sum_{(i,j) in P} (<G1 xv_i, G2 yv_j> - nu mu theta)
                 = -tr(G1 S_P G2^T) + rho/2 ||G1^T G2||_F^2 + lam nu mu theta |P| / (n-1)

    S_P = Xc^T Yc/(n-1) + lam/(n-1) sum_{(i,j) in P} xv_i yv_j^T

Each pseudo-pair counts ``lam`` times as much as a pair and costs the price
``theta``, on the scale of cosine similarities: at the current encoders
``<G1 xv_i, G2 yv_j> = nu mu cos_ij``.

* With ``P`` fixed, ``L`` is minimised by the rank-r SVD of ``S_P / rho``.
* With ``(G1, G2)`` fixed, ``L`` is minimised by the maximum-weight
  assignment on ``max(cos_ij - theta, 0)``, keeping the pairs with
  ``cos_ij > theta`` (:func:`match_pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from ._checks import (
    as_data,
    as_int,
    as_nonnegative,
    as_pair,
    as_positive,
    as_price,
    as_rank,
    as_target_fdr,
)
from .losses import linear_cross_covariance
from .matching import (
    MAX_ASSIGNMENT_BYTES,
    assignment_blocks,
    best_match_values,
    decoy_threshold,
    match_pairs,
)
from .solvers import SVDFit, fit_svd_from_cross_covariance

__all__ = ["UnpairedFit", "fit_with_pairs", "fit_with_unpaired"]


def _centre(A: np.ndarray) -> np.ndarray:
    return A - A.mean(axis=0)


def _unit_rows(E: np.ndarray):
    """Rows of E scaled to unit norm, and the norms."""
    norms = np.linalg.norm(E, axis=1)
    return E / np.maximum(norms, np.finfo(float).tiny)[:, None], norms


def _rescaled(A: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """Rows of A scaled by rms(norms)/norms: embeddings get a common norm."""
    rms = np.sqrt(np.mean(norms**2))
    return A * (rms / np.maximum(norms, np.finfo(float).tiny * max(rms, 1.0)))[:, None]


def _pseudo_S(X, Y, Xuc, Yuc, pairs, lam):
    n = X.shape[0]
    S = linear_cross_covariance(X, Y)
    if len(pairs):
        S = S + (lam / (n - 1)) * (Xuc[pairs[:, 0]].T @ Yuc[pairs[:, 1]])
    return S


def _check_pairs(pairs, m1, m2) -> np.ndarray:
    P = np.asarray(pairs)
    if P.size == 0:
        return np.empty((0, 2), int)
    if P.ndim != 2 or P.shape[1] != 2 or not np.issubdtype(P.dtype, np.integer):
        raise ValueError(
            f"pairs must be a (k, 2) integer array of (row of Xu, row of Yu); got shape {P.shape}"
        )
    if P.min() < 0 or P[:, 0].max() >= m1 or P[:, 1].max() >= m2:
        raise ValueError(f"pairs must index rows of Xu (< {m1}) and of Yu (< {m2})")
    if len(np.unique(P[:, 0])) < len(P) or len(np.unique(P[:, 1])) < len(P):
        raise ValueError("pairs must use each row of Xu and of Yu at most once (a matching)")
    return P.astype(int)


def _check_all(X, Y, Xu, Yu, r, rho, lam):
    X, Y = as_pair(X, Y)
    Xu = as_data(Xu, "Xu", min_rows=1)
    Yu = as_data(Yu, "Yu", min_rows=1)
    if Xu.shape[1] != X.shape[1]:
        raise ValueError(f"Xu must have d1 = X.shape[1] = {X.shape[1]} columns; got {Xu.shape[1]}")
    if Yu.shape[1] != Y.shape[1]:
        raise ValueError(f"Yu must have d2 = Y.shape[1] = {Y.shape[1]} columns; got {Yu.shape[1]}")
    r = as_rank(r, X.shape[1], Y.shape[1])
    return X, Y, Xu, Yu, r, as_positive(rho, "rho"), as_nonnegative(lam, "lam")


def fit_with_pairs(X, Y, Xu, Yu, r, *, pairs, rho: float = 1.0, lam: float = 1.0) -> SVDFit:
    """SVD fit on the pairs plus given pseudo-pairs (the oracle, with the truth).

    The rank-r SVD of ``S_P / rho`` with ``S_P = Xc^T Yc/(n-1) + lam/(n-1)
    sum_{(i,j) in P} xu_i yu_j^T`` (unpaired samples centred at their own
    means, not rescaled). With ``pairs`` the hidden truth and ``lam = 1`` it is
    the oracle that knows the true pairs; with no pairs it is
    ``fit_svd(X, Y, r, rho=rho)``. Introduced in
    the chapter `unpaired`.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
    Xu : array, shape (m1, d1)
    Yu : array, shape (m2, d2)
    r : int
    pairs : array of int, shape (k, 2)
        ``(row of Xu, row of Yu)``, each row used at most once.
    rho : float > 0
    lam : float >= 0
        Weight of a pseudo-pair relative to a pair.

    Returns
    -------
    SVDFit

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(20, 4)), rng.normal(size=(20, 3))
    >>> fit = mmcl.fit_with_pairs(X, Y, X[:5], Y[:5], 2, pairs=np.empty((0, 2), int))
    >>> bool(np.allclose(fit.G1, mmcl.fit_svd(X, Y, 2).G1))
    True
    """
    X, Y, Xu, Yu, r, rho, lam = _check_all(X, Y, Xu, Yu, r, rho, lam)
    P = _check_pairs(pairs, Xu.shape[0], Yu.shape[0])
    S = _pseudo_S(X, Y, _centre(Xu), _centre(Yu), P, lam)
    return fit_svd_from_cross_covariance(S, r, rho=rho)


@dataclass
class UnpairedFit:
    """Result of :func:`fit_with_unpaired`.

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    G1 : ndarray, shape (r, d1)
    G2 : ndarray, shape (r, d2)
    pairs : ndarray of int, shape (k, 2)
        Detected pairs ``(row of Xu, row of Yu)`` of the last round.
    similarities : ndarray, shape (k,)
        Their cosine similarities under the encoders that detected them.
    theta : float
        Price used in the last round.
    history : dict of ndarrays
        Per round: ``"theta"``, ``"n_pairs"``, ``"loss"`` (the round's loss
        after its SVD step) and ``"changed"`` (pairs added or dropped).
        Round 0 is the pairs-only fit.
    pair_history : list of ndarray
        The matching found in each round (round 0: empty).
    converged : bool
        True if the matching stopped changing before ``rounds`` ran out.
    """

    G1: np.ndarray
    G2: np.ndarray
    pairs: np.ndarray
    similarities: np.ndarray
    theta: float
    history: dict
    pair_history: list = field(default_factory=list)
    converged: bool = False


def fit_with_unpaired(
    X,
    Y,
    Xu,
    Yu,
    r,
    *,
    rho: float = 1.0,
    lam: float = 1.0,
    theta="auto",
    target_fdr: float = 0.1,
    rounds: int = 10,
    batch_size: int | None = None,
    max_assignment_bytes: int = MAX_ASSIGNMENT_BYTES,
) -> UnpairedFit:
    """Alternating minimisation of ``L(G1, G2, P)``: detect hidden pairs, refit.

    Round 0 is ``fit_svd`` on the pairs. Each round then (1) embeds the
    centred unpaired samples and forms their cosine similarities
    ``cos_ij``; (2) chooses the price ``theta`` (if ``"auto"``, by
    :func:`decoy_threshold` from the maximum-weight assignments on ``cos``
    and on the mirrored ``-cos``, at the target false-discovery rate);
    (3) matching step: :func:`match_pairs`; (4) SVD step on the pairs plus
    the detected pseudo-pairs, weight ``lam``, each unpaired sample rescaled
    so its current embedding has its modality's root-mean-square norm (see
    the module docstring for the loss both steps minimise). It stops when
    the matching no longer changes or after ``rounds`` rounds.
    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
        The pairs.
    Xu : array, shape (m1, d1)
    Yu : array, shape (m2, d2)
        The unpaired samples (at least one row each).
    r : int
        Representation dimension, ``1 <= r <= min(d1, d2)``.
    rho : float > 0
    lam : float >= 0
        Weight of a pseudo-pair relative to a pair.
    theta : "auto", float or +inf
        Price of a pair on the cosine scale: matched pairs are kept when their
        cosine similarity exceeds it; ``+inf`` gives the pairs-only fit.
    target_fdr : float in (0, 1)
        Used when ``theta="auto"``.
    rounds : int >= 1
        Maximum number of matching rounds.
    batch_size : int, optional
        Match within blocks instead of globally: ``Xu`` and ``Yu`` are cut
        into the same number ``b = ceil(max(m1, m2)/batch_size)`` of
        consecutive blocks (``numpy.array_split``) and block ``k`` of ``Xu``
        is matched with block ``k`` of ``Yu`` only.
    max_assignment_bytes : int
        Refuse (``ValueError``) assignment problems that would need more
        memory than this.

    Returns
    -------
    UnpairedFit
        ``.G1``, ``.G2``, ``.pairs`` (k x 2), ``.history``, ...

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> model = mmcl.make_model(10, 8, 2, rng=0, signal=4.0, noise_sd=0.3)
    >>> pairs = model.sample(40, rng=1)
    >>> un = mmcl.sample_unpaired(model, 60, rng=2)
    >>> fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 2, target_fdr=0.1)
    >>> fit.pairs.shape[1], fit.G1.shape
    (2, (2, 10))
    """
    with threadpool_limits(limits=1, user_api="blas"):  # small products only
        return _fit_with_unpaired(
            X, Y, Xu, Yu, r, rho, lam, theta, target_fdr, rounds, batch_size, max_assignment_bytes
        )


def _fit_with_unpaired(
    X, Y, Xu, Yu, r, rho, lam, theta, target_fdr, rounds, batch_size, max_assignment_bytes
):
    X, Y, Xu, Yu, r, rho, lam = _check_all(X, Y, Xu, Yu, r, rho, lam)
    auto = isinstance(theta, str)
    if auto and theta != "auto":
        raise ValueError(f"theta must be 'auto', a real number or +inf; got {theta!r}")
    q = as_target_fdr(target_fdr)
    price = None if auto else as_price(theta)
    rounds = as_int(rounds, "rounds", low=1)
    if batch_size is not None:
        batch_size = as_int(batch_size, "batch_size", low=1)
    max_bytes = as_int(max_assignment_bytes, "max_assignment_bytes", low=1)
    blocks1, blocks2 = assignment_blocks(Xu.shape[0], Yu.shape[0], batch_size, max_bytes)
    Xuc, Yuc = _centre(Xu), _centre(Yu)
    n = X.shape[0]
    fit = fit_svd_from_cross_covariance(linear_cross_covariance(X, Y), r, rho=rho)
    P = np.empty((0, 2), int)
    hist = {"theta": [np.inf], "n_pairs": [0], "loss": [fit.value], "changed": [0]}
    pair_history, values, converged = [P], np.empty(0), False
    for _ in range(rounds):
        (A, nu), (C, mu) = _unit_rows(Xuc @ fit.G1.T), _unit_rows(Yuc @ fit.G2.T)
        sims = [A[b1] @ C[b2].T for b1, b2 in zip(blocks1, blocks2)]  # cosines
        th = (
            price
            if not auto
            else decoy_threshold(
                np.concatenate([best_match_values(s) for s in sims]),
                np.concatenate([best_match_values(-s) for s in sims]),
                q,
            )
        )
        found = [match_pairs(s, th) for s in sims]
        newP = np.concatenate(
            [
                np.column_stack([b1[p[:, 0]], b2[p[:, 1]]])
                for (p, _), b1, b2 in zip(found, blocks1, blocks2)
            ]
        )
        values = np.concatenate([v for _, v in found])
        order = np.argsort(newP[:, 0], kind="stable")
        newP, values = newP[order], values[order]
        changed = len(_set(newP) ^ _set(P))
        P = newP
        Xv, Yv = _rescaled(Xuc, nu), _rescaled(Yuc, mu)
        fit = fit_svd_from_cross_covariance(_pseudo_S(X, Y, Xv, Yv, P, lam), r, rho=rho)
        scale = np.sqrt(np.mean(nu**2) * np.mean(mu**2))
        extra = lam * th * scale * len(P) / (n - 1) if len(P) else 0.0
        for key, val in (
            ("theta", th),
            ("n_pairs", len(P)),
            ("loss", fit.value + extra),
            ("changed", changed),
        ):
            hist[key].append(val)
        pair_history.append(P)
        if changed == 0:
            converged = True
            break
    history = {
        k: np.asarray(v, dtype=float if k in ("theta", "loss") else int) for k, v in hist.items()
    }
    return UnpairedFit(
        G1=fit.G1,
        G2=fit.G2,
        pairs=P,
        similarities=values,
        theta=float(hist["theta"][-1]),
        history=history,
        pair_history=pair_history,
        converged=converged,
    )


def _set(P) -> set:
    return set(map(tuple, np.asarray(P).tolist()))
