"""Unpaired data: detect hidden pairs by matching with a price, refit, repeat.

Introduced in the chapter `unpaired`. Besides ``n`` pairs ``(X, Y)`` there are unpaired
samples ``Xu`` (m1 x d1) and ``Yu`` (m2 x d2); some rows of ``Xu`` have their partner (same
latent ``z``) among the rows of ``Yu``, in a hidden order. :func:`fit_with_unpaired`
alternates a matching step (a maximum-weight partial matching in which a pair is kept only
when its score beats the price ``theta``, calibrated with a decoy null,
:mod:`mmcl.candidates`) and an SVD step on the pairs plus the matched pseudo-pairs
(:mod:`mmcl.pseudo_pairs`), in one of two families.

**Whitened** (default). The unpaired data are used twice. First through their covariances:
each modality is reduced to its spiked subspace, estimated from all its samples, and whitened
there (:mod:`mmcl.spikes`). Then through their matches: the score is the Gaussian
log-likelihood ratio of canonical variates, the refit is CCA of the pair set.

**Raw** (``whiten=False``, the chapter's plain algorithm). In a round with encoders
``(G1, G2)`` every centred unpaired sample is rescaled so that its embedding has the
root-mean-square norm of its modality (``xv_i = xu_i nu_1 / |G1 xu_i|``, likewise ``yv_j``
with ``nu_2``; frozen for the round). For a partial matching ``P`` the round's loss is::

    L(G1, G2, P) = L_lin(G1, G2; X, Y)
                   - lam/(n-1) sum_{(i,j) in P} (<G1 xv_i, G2 yv_j> - nu_1 nu_2 theta)
                 = -tr(G1 S_P G2^T) + rho/2 ||G1^T G2||_F^2 + lam nu_1 nu_2 theta |P| / (n-1)

With the encoders fixed the matching step on the cosines minimises it over ``P``; with ``P``
fixed the SVD step minimises it over the encoders (every minimiser has
``G1^T G2 = [S_P]_r / rho``). So within a round the loss never increases; across rounds the
scales and the price are re-estimated, so the rounds minimise different losses and the
sequence of losses need not fall.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import as_int, as_nonnegative, as_positive, as_price, as_target_fdr
from ._threads import one_blas_thread
from .candidates import (
    cosine_score,
    likelihood_ratio_score,
    match_with_decoy,
    warn_if_groups_cross,
)
from .losses import linear_cross_covariance, linear_loss
from .matching import MAX_ASSIGNMENT_BYTES, as_groups
from .pseudo_pairs import (
    cca_step,
    check_pairs,
    check_unpaired,
    fit_with_pairs,
    pseudo_cross_covariance,
    whitened_problem,
)
from .solvers import fit_svd_from_cross_covariance

__all__ = ["UnpairedFit", "fit_with_pairs", "fit_with_unpaired", "round_loss"]


@dataclass(frozen=True)
class UnpairedFit:
    """Result of :func:`fit_with_unpaired`.

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    G1 : ndarray, shape (r, d1)
    G2 : ndarray, shape (r, d2)
        The encoders (weights). In the whitened family the loadings ``Sigma_x G1^T``, not the
        rows of ``G1``, span the estimate of ``span(U1)``.
    pairs : ndarray of int, shape (k, 2)
        Detected pairs ``(row of Xu, row of Yu)`` of the last round, sorted by row.
    scores : ndarray, shape (k,)
        Their scores under the encoders that detected them (cosines in the raw family,
        log-likelihood ratios in the whitened family).
    theta : float
        Price of the last round (``+inf``: nothing bought).
    history : dict of ndarrays
        Per round: ``"theta"``, ``"n_pairs"``, ``"n_decoy"`` (decoy matches above the price),
        ``"changed"`` (pairs added or dropped) and ``"loss"`` (raw family: the round's loss
        after its SVD step; NaN in the whitened family, whose two steps do not share one
        objective). Round 0 is the fit without pseudo-pairs.
    pair_history : list of ndarray
        The matching of each round (round 0: empty).
    converged : bool
        True if fewer than ``tol * |P|`` pairs changed before ``rounds`` ran out.
    spikes : (int, int)
        Dimensions ``(k1, k2)`` of the reduced coordinates (``(d1, d2)`` in the raw family).
    """

    G1: np.ndarray
    G2: np.ndarray
    pairs: np.ndarray
    scores: np.ndarray
    theta: float
    history: dict
    pair_history: list = field(default_factory=list)
    converged: bool = False
    spikes: tuple = (0, 0)


class _Raw:
    """The raw family: cosine scores, per-round rescaling, PLS-SVD refits."""

    def __init__(self, X, Y, Xu, Yu, r, rho, lam):
        self.X, self.Y, self.r, self.rho, self.lam = X, Y, r, rho, lam
        self.Xu, self.Yu = Xu - Xu.mean(axis=0), Yu - Yu.mean(axis=0)
        self.spikes = (X.shape[1], Y.shape[1])
        self.fit = fit_svd_from_cross_covariance(linear_cross_covariance(X, Y), r, rho=rho)
        self.loss = self.fit.value

    def score(self):
        self.E1, self.E2 = self.Xu @ self.fit.G1.T, self.Yu @ self.fit.G2.T
        return cosine_score(self.E1, self.E2)

    def refit(self, P, theta):
        (Xv, nu1), (Yv, nu2) = _rescaled(self.Xu, self.E1), _rescaled(self.Yu, self.E2)
        S = pseudo_cross_covariance(self.X, self.Y, Xv, Yv, P, self.lam)
        self.fit = fit_svd_from_cross_covariance(S, self.r, rho=self.rho)
        price = self.lam * theta * nu1 * nu2 * len(P) / (len(self.X) - 1) if len(P) else 0.0
        self.loss = self.fit.value + price

    @property
    def encoders(self):
        return self.fit.G1, self.fit.G2


class _Whitened:
    """The whitened family: spiked whitening, likelihood-ratio scores, CCA refits."""

    loss = np.nan

    def __init__(self, X, Y, Xu, Yu, r, rho, lam, n_spikes):
        self.problem = whitened_problem(X, Y, Xu, Yu, r, n_spikes=n_spikes)
        self.r, self.rho, self.lam = r, rho, lam
        self.spikes = (self.problem.whitener1.k, self.problem.whitener2.k)
        self.step = cca_step(self.problem, np.empty((0, 2), np.int64), r, rho=rho, lam=lam)

    def score(self):
        s = self.step
        return likelihood_ratio_score(
            self.problem.Xu @ s.A.T, self.problem.Yu @ s.B.T, s.correlations
        )

    def refit(self, P, theta):
        self.step = cca_step(self.problem, P, self.r, rho=self.rho, lam=self.lam)

    @property
    def encoders(self):
        return self.step.G1, self.step.G2


def _batch_groups(batch_size: int, m1: int, m2: int):
    """Labels of ``b = ceil(max(m1, m2) / batch_size)`` consecutive blocks on each side."""
    b = int(np.ceil(max(m1, m2) / batch_size))
    return tuple(
        np.concatenate([np.full(len(c), k) for k, c in enumerate(np.array_split(np.arange(m), b))])
        for m in (m1, m2)
    )


def fit_with_unpaired(
    X,
    Y,
    Xu,
    Yu,
    r,
    *,
    whiten: bool = True,
    rho: float = 1.0,
    lam: float = 1.0,
    theta="auto",
    target_fdr: float = 0.1,
    rounds: int = 10,
    tol: float = 0.005,
    matching: str = "sparse",
    kappa: int = 10,
    groups=None,
    batch_size: int | None = None,
    n_spikes=None,
    max_assignment_bytes: int = MAX_ASSIGNMENT_BYTES,
) -> UnpairedFit:
    """Pairs plus unpaired samples: detect hidden pairs with a price, refit, repeat.

    Round 0 fits the pairs alone (whitened family: CCA in the whitened spiked coordinates,
    which already uses the unpaired covariances; raw family: :func:`mmcl.fit_svd`). Each
    round then scores every candidate pair with the current fit, sets the price ``theta`` from
    the decoy null at ``target_fdr`` (unless ``theta`` is given), keeps the maximum-weight
    partial matching of the pairs scoring above the price, and refits on the pairs plus the
    matched pseudo-pairs (weight ``lam``). It stops when at most ``tol * |P|`` pairs change
    (converged), when a matching repeats the one of two rounds before (a cycle, not
    converged), or after ``rounds`` rounds. Introduced in the chapter `unpaired`.

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
    whiten : bool
        ``True``: the whitened family (see the module docstring); ``False``: the raw family.
    rho : float > 0
    lam : float >= 0
        Weight of a pseudo-pair relative to a pair.
    theta : "auto", float or +inf
        Price of a pair on the scale of the scores; ``+inf`` buys nothing (round 0's fit).
    target_fdr : float in (0, 1)
        Used when ``theta="auto"``.
    rounds : int >= 1
    tol : float >= 0
        Stop when at most ``tol * |P|`` pairs change (0: until the matching is stable).
    matching : "sparse" or "dense"
        Candidate graphs with ``kappa`` candidates per row (scales to m of tens of
        thousands), or the full assignment problem (memory ``O(m1 m2)``).
    kappa : int >= 1
    groups : (array (m1,), array (m2,)) of int, optional
        Labels of the rows of ``Xu`` and ``Yu``: candidates only within equal labels. Use it
        only when the groups are known to hold the partners (batches built from pairs): a
        partner in another group can never be found. A ``UserWarning`` is raised when most
        matches that are confident without the groups cross them.
    batch_size : int, optional
        Shorthand for groups of ``batch_size`` consecutive rows on each side.
    n_spikes : (int, int), optional
        Force the spike counts (whitened family).
    max_assignment_bytes : int
        Refuse dense assignment problems needing more memory than this.

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
    with one_blas_thread():  # small products only
        return _fit(
            X, Y, Xu, Yu, r, whiten, rho, lam, theta, target_fdr, rounds, tol, matching, kappa,
            groups, batch_size, n_spikes, max_assignment_bytes,
        )  # fmt: skip


def _fit(
    X, Y, Xu, Yu, r, whiten, rho, lam, theta, target_fdr, rounds, tol, matching, kappa,
    groups, batch_size, n_spikes, max_assignment_bytes,
):  # fmt: skip
    X, Y, Xu, Yu, r = check_unpaired(X, Y, Xu, Yu, r)
    rho, lam = as_positive(rho, "rho"), as_nonnegative(lam, "lam")
    auto = isinstance(theta, str)
    if auto and theta != "auto":
        raise ValueError(f"theta must be 'auto', a real number or +inf; got {theta!r}")
    q, price = as_target_fdr(target_fdr), None if auto else as_price(theta)
    rounds, tol = as_int(rounds, "rounds", low=1), as_nonnegative(tol, "tol")
    kappa = as_int(kappa, "kappa", low=1)
    max_bytes = as_int(max_assignment_bytes, "max_assignment_bytes", low=1)
    if matching not in ("sparse", "dense"):
        raise ValueError(f"matching must be 'sparse' or 'dense'; got {matching!r}")
    m1, m2 = Xu.shape[0], Yu.shape[0]
    if batch_size is not None:
        if groups is not None:
            raise ValueError("pass either groups or batch_size, not both")
        groups = _batch_groups(as_int(batch_size, "batch_size", low=1), m1, m2)
    groups = None if groups is None else as_groups(groups, m1, m2)
    family = (
        _Whitened(X, Y, Xu, Yu, r, rho, lam, n_spikes)
        if whiten
        else _Raw(X, Y, Xu, Yu, r, rho, lam)
    )
    P = np.empty((0, 2), np.int64)
    hist = {"theta": [np.inf], "n_pairs": [0], "n_decoy": [0], "changed": [0]}
    hist["loss"] = [family.loss]
    pair_history, scores, th, converged = [P], np.empty(0), np.inf, False
    for t in range(rounds):
        score = family.score()
        if t == 0 and groups is not None and auto:
            warn_if_groups_cross(score, groups, q)
        found = match_with_decoy(
            score, q, theta=price, method=matching, kappa=kappa, groups=groups,
            max_bytes=max_bytes,
        )  # fmt: skip
        changed = len(_as_set(found.pairs) ^ _as_set(P))
        P, scores, th = found.pairs, found.values, found.theta
        family.refit(P, th)
        for key, value in zip(hist, (th, len(P), found.n_decoy, changed, family.loss)):
            hist[key].append(value)
        pair_history.append(P)
        if changed <= tol * len(P):
            converged = True
            break
        if len(pair_history) > 2 and _as_set(pair_history[-3]) == _as_set(P):
            break  # a cycle of two matchings: further rounds repeat it
    history = {
        k: np.asarray(v, dtype=float if k in ("theta", "loss") else int) for k, v in hist.items()
    }
    G1, G2 = family.encoders
    return UnpairedFit(
        G1=G1,
        G2=G2,
        pairs=P,
        scores=scores,
        theta=float(th),
        history=history,
        pair_history=pair_history,
        converged=converged,
        spikes=family.spikes,
    )


def round_loss(X, Y, Xu, Yu, G1, G2, pairs, *, scales_from, theta, rho=1.0, lam=1.0) -> float:
    """The raw family's loss of one round, from its definition (module docstring).

    ``L(G1, G2, P) = L_lin(G1, G2; X, Y) - lam/(n-1) sum_P (<G1 xv_i, G2 yv_j> - nu_1 nu_2 theta)``
    where the rescaled samples ``xv``, ``yv`` and the RMS norms ``nu_1``, ``nu_2`` are set by the
    encoders ``scales_from = (G1', G2')`` that started the round. Introduced in the chapter
    `unpaired`.

    Parameters
    ----------
    X, Y, Xu, Yu : arrays
        As in :func:`mmcl.fit_with_unpaired`.
    G1 : array, shape (r, d1)
    G2 : array, shape (r, d2)
        Where the loss is evaluated.
    pairs : array of int, shape (k, 2)
    scales_from : (array (r, d1), array (r, d2))
    theta : float
    rho, lam : float

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> from mmcl.unpaired import round_loss
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(20, 4)), rng.normal(size=(20, 3))
    >>> fit = mmcl.fit_svd(X, Y, 2)
    >>> none = np.empty((0, 2), int)
    >>> bool(np.isclose(round_loss(X, Y, X, Y, fit.G1, fit.G2, none,
    ...                            scales_from=(fit.G1, fit.G2), theta=0.5), fit.value))
    True
    """
    X, Y, Xu, Yu, r = check_unpaired(X, Y, Xu, Yu, np.shape(G1)[0])
    P = check_pairs(pairs, Xu.shape[0], Yu.shape[0])
    rho, lam = as_positive(rho, "rho"), as_nonnegative(lam, "lam")
    Xuc, Yuc = Xu - Xu.mean(axis=0), Yu - Yu.mean(axis=0)
    Xv, nu1 = _rescaled(Xuc, Xuc @ np.asarray(scales_from[0]).T)
    Yv, nu2 = _rescaled(Yuc, Yuc @ np.asarray(scales_from[1]).T)
    inner = np.sum((Xv[P[:, 0]] @ np.asarray(G1).T) * (Yv[P[:, 1]] @ np.asarray(G2).T), axis=1)
    base = linear_loss(rho).value(G1, G2, X, Y)
    return float(base - lam / (len(X) - 1) * np.sum(inner - nu1 * nu2 * theta))


def _rescaled(A, E):
    """Rows of ``A`` scaled so that their embeddings ``E`` get the RMS norm ``nu``; and ``nu``."""
    norms = np.linalg.norm(E, axis=1)
    nu = np.sqrt(np.mean(norms**2))
    return A * (nu / np.maximum(norms, np.finfo(float).tiny * max(nu, 1.0)))[:, None], nu


def _as_set(P) -> set:
    return set(map(tuple, np.asarray(P).tolist()))
