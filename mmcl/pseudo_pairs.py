"""The SVD step with pseudo-pairs: the pairs plus a given matching of unpaired samples.

Two families, as in the chapter `unpaired`:

* **raw** (the paper's linear-loss view): the rank-r SVD of
  ``S_P = Xc^T Yc/(n-1) + lam/(n-1) sum_{(i,j) in P} xu_i yu_j^T`` (PLS-SVD of the pair set);
* **whitened** (the book's default): each modality is first reduced to its spiked subspace,
  estimated from *all* its samples and whitened there (:mod:`mmcl.spikes`); the refit is
  canonical correlation analysis of the pair set in those coordinates
  (:func:`mmcl.fit_cca`, pseudo-pairs weighted ``lam``), i.e. the minimiser of the linear loss
  after each modality is whitened by the pair set's own covariance.

With the hidden true pairs as ``pairs`` these are the oracles of each family; with no pairs
the raw family is :func:`mmcl.fit_svd` and the whitened family is the *covariance-only* route
(unpaired data used through their covariances alone).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_data, as_nonnegative, as_pair, as_positive, as_rank
from .cca import fit_cca
from .losses import linear_cross_covariance
from .solvers import fit_svd_from_cross_covariance
from .spikes import SpikedWhitener, spiked_whitener

__all__ = [
    "check_unpaired",
    "check_pairs",
    "pseudo_cross_covariance",
    "WhitenedProblem",
    "whitened_problem",
    "CCAStep",
    "cca_step",
    "fit_with_pairs",
]


def check_unpaired(X, Y, Xu, Yu, r):
    """Validate pairs ``X`` (n, d1), ``Y`` (n, d2), unpaired ``Xu`` (m1, d1), ``Yu`` (m2, d2)."""
    X, Y = as_pair(X, Y)
    Xu = as_data(Xu, "Xu", min_rows=1)
    Yu = as_data(Yu, "Yu", min_rows=1)
    if Xu.shape[1] != X.shape[1]:
        raise ValueError(f"Xu must have d1 = X.shape[1] = {X.shape[1]} columns; got {Xu.shape[1]}")
    if Yu.shape[1] != Y.shape[1]:
        raise ValueError(f"Yu must have d2 = Y.shape[1] = {Y.shape[1]} columns; got {Yu.shape[1]}")
    return X, Y, Xu, Yu, as_rank(r, X.shape[1], Y.shape[1])


def check_pairs(pairs, m1: int, m2: int) -> np.ndarray:
    """Validate a matching: a (k, 2) integer array, each row of ``Xu`` and ``Yu`` at most once."""
    P = np.asarray(pairs)
    if P.size == 0:
        return np.empty((0, 2), np.int64)
    if P.ndim != 2 or P.shape[1] != 2 or not np.issubdtype(P.dtype, np.integer):
        raise ValueError(
            f"pairs must be a (k, 2) integer array of (row of Xu, row of Yu); got shape {P.shape}"
        )
    if P.min() < 0 or P[:, 0].max() >= m1 or P[:, 1].max() >= m2:
        raise ValueError(f"pairs must index rows of Xu (< {m1}) and of Yu (< {m2})")
    if len(np.unique(P[:, 0])) < len(P) or len(np.unique(P[:, 1])) < len(P):
        raise ValueError("pairs must use each row of Xu and of Yu at most once (a matching)")
    return P.astype(np.int64)


def pseudo_cross_covariance(X, Y, Xv, Yv, pairs, lam: float) -> np.ndarray:
    """``S_P = Xc^T Yc/(n-1) + lam/(n-1) sum_{(i,j) in P} xv_i yv_j^T`` (d1 x d2).

    ``Xv``, ``Yv`` are the unpaired samples as they enter the pair set (centred, and in the
    alternating algorithm rescaled). Introduced in the chapter `unpaired`.
    """
    S = linear_cross_covariance(X, Y)
    if len(pairs):
        S = S + (lam / (X.shape[0] - 1)) * (Xv[pairs[:, 0]].T @ Yv[pairs[:, 1]])
    return S


@dataclass(frozen=True)
class WhitenedProblem:
    """Pairs and unpaired samples in whitened spiked coordinates (see :func:`whitened_problem`).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    whitener1, whitener2 : SpikedWhitener
        Built from all samples of each modality (``k1``, ``k2`` spikes).
    X : ndarray, shape (n, k1)
    Y : ndarray, shape (n, k2)
    Xu : ndarray, shape (m1, k1)
    Yu : ndarray, shape (m2, k2)
        Centred at their own means.
    """

    whitener1: SpikedWhitener
    whitener2: SpikedWhitener
    X: np.ndarray
    Y: np.ndarray
    Xu: np.ndarray
    Yu: np.ndarray


def whitened_problem(X, Y, Xu, Yu, r, *, n_spikes=None) -> WhitenedProblem:
    """Reduce each modality to its spiked subspace estimated from all its samples, whitened.

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
    Xu : array, shape (m1, d1)
    Yu : array, shape (m2, d2)
    r : int
    n_spikes : (int, int), optional
        Force the spike counts ``(k1, k2)`` (each at least ``r``).

    Returns
    -------
    WhitenedProblem

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> from mmcl.pseudo_pairs import whitened_problem
    >>> model = mmcl.make_model(10, 8, 2, rng=0, signal=9.0)
    >>> pairs, un = model.sample(30, rng=1), mmcl.sample_unpaired(model, 200, rng=2)
    >>> w = whitened_problem(pairs.X, pairs.Y, un.Xu, un.Yu, 2)
    >>> w.X.shape, w.Yu.shape
    ((30, 2), (200, 2))
    """
    X, Y, Xu, Yu, r = check_unpaired(X, Y, Xu, Yu, r)
    if n_spikes is not None and (not isinstance(n_spikes, (tuple, list)) or len(n_spikes) != 2):
        raise TypeError(f"n_spikes must be a pair (k1, k2) of integers; got {n_spikes!r}")
    ks = (None, None) if n_spikes is None else n_spikes
    w1 = spiked_whitener(np.vstack([X, Xu]), r, n_spikes=ks[0])
    w2 = spiked_whitener(np.vstack([Y, Yu]), r, n_spikes=ks[1])
    Xut, Yut = w1.transform(Xu), w2.transform(Yu)
    return WhitenedProblem(
        whitener1=w1,
        whitener2=w2,
        X=w1.transform(X),
        Y=w2.transform(Y),
        Xu=Xut - Xut.mean(axis=0),
        Yu=Yut - Yut.mean(axis=0),
    )


@dataclass(frozen=True)
class CCAStep:
    """The whitened family's SVD step (see :func:`mmcl.pseudo_pairs.cca_step`).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    G1 : ndarray, shape (r, d1)
    G2 : ndarray, shape (r, d2)
        Encoders on the raw data: ``G1 = G~1 W1`` with ``G~1`` the balanced CCA encoder of the
        reduced coordinates, divided by ``sqrt(rho)``.
    A : ndarray, shape (r, k1)
    B : ndarray, shape (r, k2)
        Canonical directions with unit variance over all samples (unit rows in the whitened
        coordinates): the variates the matching score uses.
    correlations : ndarray, shape (r,)
        Canonical correlations of the pair set.
    """

    G1: np.ndarray
    G2: np.ndarray
    A: np.ndarray
    B: np.ndarray
    correlations: np.ndarray


def cca_step(problem: WhitenedProblem, pairs, r: int, *, rho: float = 1.0, lam: float = 1.0):
    """CCA of the pair set (pairs and pseudo-pairs of weight ``lam``) in whitened coordinates.

    Ridge 0 when the pair set has more members than reduced dimensions, otherwise ridge 1
    (relative to the mean eigenvalue, :func:`mmcl.fit_cca`). Introduced in the chapter
    `unpaired`.

    Returns
    -------
    CCAStep
    """
    P = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    Xs = np.vstack([problem.X, problem.Xu[P[:, 0]]])
    Ys = np.vstack([problem.Y, problem.Yu[P[:, 1]]])
    weights = np.concatenate([np.ones(len(problem.X)), np.full(len(P), lam)])
    size = len(problem.X) + (len(P) if lam > 0 else 0)
    ridge = 0.0 if size - 1 > max(Xs.shape[1], Ys.shape[1]) else 1.0
    fit = fit_cca(Xs, Ys, r, ridge=ridge, weights=weights)
    root = 1.0 / np.sqrt(rho)
    return CCAStep(
        G1=root * fit.G1 @ problem.whitener1.W,
        G2=root * fit.G2 @ problem.whitener2.W,
        A=fit.G1 / np.linalg.norm(fit.G1, axis=1, keepdims=True),
        B=fit.G2 / np.linalg.norm(fit.G2, axis=1, keepdims=True),
        correlations=fit.correlations[:r],
    )


def fit_with_pairs(
    X, Y, Xu, Yu, r, *, pairs, whiten: bool = False, rho: float = 1.0, lam: float = 1.0
):
    """The SVD step on the pairs plus given pseudo-pairs: the oracle of each family.

    ``whiten=False``: the rank-r SVD of ``S_P / rho`` with ``S_P = Xc^T Yc/(n-1) + lam/(n-1)
    sum_{(i,j) in P} xu_i yu_j^T`` (unpaired samples centred at their own means, not
    rescaled); with no pairs it is ``fit_svd(X, Y, r, rho=rho)``. ``whiten=True``: CCA of the
    pair set in the whitened spiked coordinates of each modality
    (:func:`mmcl.pseudo_pairs.cca_step`); with no pairs it is the covariance-only route.
    With ``pairs`` the hidden truth and ``lam = 1``
    either is the oracle that knows the true pairs. Introduced in the chapter `unpaired`.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
    Xu : array, shape (m1, d1)
    Yu : array, shape (m2, d2)
    r : int
    pairs : array of int, shape (k, 2)
        ``(row of Xu, row of Yu)``, each row used at most once.
    whiten : bool
    rho : float > 0
    lam : float >= 0
        Weight of a pseudo-pair relative to a pair.

    Returns
    -------
    SVDFit or CCAStep
        Both have ``.G1`` (r x d1) and ``.G2`` (r x d2).

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(20, 4)), rng.normal(size=(20, 3))
    >>> fit = mmcl.fit_with_pairs(X, Y, X[:5], Y[:5], 2, pairs=np.empty((0, 2), int))
    >>> bool(np.allclose(fit.G1, mmcl.fit_svd(X, Y, 2).G1))
    True
    """
    X, Y, Xu, Yu, r = check_unpaired(X, Y, Xu, Yu, r)
    rho, lam = as_positive(rho, "rho"), as_nonnegative(lam, "lam")
    P = check_pairs(pairs, Xu.shape[0], Yu.shape[0])
    if whiten:
        return cca_step(whitened_problem(X, Y, Xu, Yu, r), P, r, rho=rho, lam=lam)
    Xuc, Yuc = Xu - Xu.mean(axis=0), Yu - Yu.mean(axis=0)
    S = pseudo_cross_covariance(X, Y, Xuc, Yuc, P, lam)
    return fit_svd_from_cross_covariance(S, r, rho=rho)
