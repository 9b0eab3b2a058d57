"""Cleaning the pairs: down-weight wrongly matched pairs by the similarity of their embeddings.

A wrongly matched pair is a *random* pairing of an ``x`` with a ``y``. So the
scores (cosine similarities of the two embeddings) of the wrong pairs follow
the law of the scores of shuffled pairs ``(x_a, y_b)``, ``a != b``, which we
can sample exactly. The observed scores are the two-component mixture

    f(s) = pi0 f0(s) + (1 - pi0) f1(s),        f0 = law of shuffled-pair scores,

and the posterior probability that a pair with score ``s`` is correctly
matched is ``1 - lfdr(s)``, with the local false-discovery rate
``lfdr(s) = pi0 f0(s) / f(s)`` (Efron). :func:`clean_pairs` estimates ``pi0``
(Storey) and both densities (kernel estimates), weights every pair by
``1 - lfdr``, refits with those weights and iterates. Scores are
*cross-fitted*: a pair is scored by encoders fitted on the other folds, so
that its own influence on the fit does not inflate its score (shuffled pairs
never enjoy that inflation). Introduced in the chapter `multiview`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import isotonic_regression

from ._checks import as_generator, as_int, as_nonnegative, as_pair, as_rank, as_target_fdr
from ._threads import one_blas_thread
from .cca import fit_cca
from .solvers import fit_svd

__all__ = ["CleanFit", "clean_pairs", "filter_pairs", "ENCODERS"]

#: Encoders :func:`clean_pairs` can fit: PLS-SVD (:func:`mmcl.fit_svd`) or
#: regularised CCA (:func:`mmcl.fit_cca`).
ENCODERS = ("pls", "cca")

#: Cosine scores live in [-1, 1]; the densities are estimated on this grid.
_GRID = np.linspace(-1.0, 1.0, 801)


@dataclass(frozen=True)
class CleanFit:
    """Result of :func:`clean_pairs`.

    Introduced in the chapter `multiview`.

    Attributes
    ----------
    G1 : ndarray, shape (r, d1)
    G2 : ndarray, shape (r, d2)
        Encoders fitted on all pairs with ``weights`` (as :func:`mmcl.fit_svd` or
        :func:`mmcl.fit_cca` return them).
    weights : ndarray, shape (n,)
        Estimated probability that each pair is correctly matched, ``1 - lfdr``
        of the last round, in [0, 1].
    scores : ndarray, shape (rounds, n)
        Cross-fitted cosine score of each pair in each round.
    null_scores : ndarray, shape (rounds, n_null * n)
        Scores of shuffled pairs (no pair its own partner) in each round: a
        sample of the null law ``f0``.
    pi0 : ndarray, shape (rounds,)
        Estimated fraction of wrong pairs in each round.
    """

    G1: np.ndarray
    G2: np.ndarray
    weights: np.ndarray
    scores: np.ndarray
    null_scores: np.ndarray
    pi0: np.ndarray


def _fit(X, Y, r, weights, encoder, ridge):
    if encoder == "pls":
        fit = fit_svd(X, Y, r, weights=weights)
    else:
        fit = fit_cca(X, Y, r, ridge=ridge, weights=weights)
    return fit.G1, fit.G2


def _unit_embeddings(A, G, mean):
    E = (A - mean) @ G.T
    return E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), np.finfo(float).tiny)


def _fold_scores(train, test, w, r, encoder, ridge, n_null, rng):
    """Scores of the pairs ``test`` under encoders fitted on ``train`` with weights ``w``, and a
    null sample (``train`` and ``test`` are (X, Y) row blocks)."""
    w = w if np.count_nonzero(w) >= 2 else np.ones(w.size)
    G1, G2 = _fit(*train, r, w, encoder, ridge)
    E1 = _unit_embeddings(test[0], G1, w @ train[0] / w.sum())
    E2 = _unit_embeddings(test[1], G2, w @ train[1] / w.sum())
    # n_null derangements: in each random order, every x meets the next row's y
    m = E1.shape[0]
    order = rng.permuted(np.broadcast_to(np.arange(m), (n_null, m)), axis=1)
    null = np.einsum("kij,kij->ki", E1[order], E2[np.roll(order, -1, axis=1)])
    return np.einsum("ij,ij->i", E1, E2), null.ravel()


def _quantiles(ordered, q):
    """Quantiles ``q`` of sorted samples (linear interpolation, NumPy's default method)."""
    position = np.asarray(q) * (ordered.size - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, ordered.size - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _density(ordered):
    """Gaussian kernel density of sorted samples on the grid (binned, reflected at +-1).

    Bandwidth: Silverman's rule ``0.9 min(sd, IQR/1.34) m^(-1/5)``, at least two grid steps.
    """
    step = _GRID[1] - _GRID[0]
    q75, q25 = _quantiles(ordered, [0.75, 0.25])
    iqr, sd = q75 - q25, ordered.std()
    spread = min(sd, iqr / 1.34) if iqr > 0 else sd
    bandwidth = max(0.9 * spread * ordered.size ** (-0.2), 2 * step)
    bins = np.rint((np.clip(ordered, -1.0, 1.0) + 1.0) / step).astype(int)
    counts = np.bincount(bins, minlength=_GRID.size).astype(float)
    half = int(np.ceil(4 * bandwidth / step))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) * step / bandwidth) ** 2)
    period = 2 * (_GRID.size - 1)  # mirror images about both ends, as often as needed
    reflected = np.arange(-half, _GRID.size + half) % period
    reflected = np.minimum(reflected, period - reflected)
    density = np.convolve(counts[reflected], kernel, mode="valid")
    return density / (density.sum() * step)


def _posterior(scores, null):
    """``1 - lfdr`` of each score and Storey's estimate of ``pi0`` (median of the null)."""
    null = np.sort(null)
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    pi0 = float(np.clip(2.0 * np.mean(scores <= _quantiles(null, 0.5)), 0.0, 1.0))
    f0 = np.interp(ordered, _GRID, _density(null))
    f = np.interp(ordered, _GRID, _density(ordered))
    lfdr = np.clip(pi0 * f0 / np.maximum(f, 1e-300), 0.0, 1.0)
    weights = np.empty_like(scores)
    # lfdr made to fall as the score rises
    weights[order] = 1.0 - np.clip(isotonic_regression(lfdr, increasing=False).x, 0.0, 1.0)
    return weights, pi0


def _canonical_order(X, Y):
    """Rows sorted by a fixed projection of their content, so that results depend on the set of
    pairs and not on how it is listed (distinct rows tie with probability zero)."""
    directions = np.random.default_rng(0)
    key = X @ directions.standard_normal(X.shape[1]) + Y @ directions.standard_normal(Y.shape[1])
    return np.argsort(key, kind="stable")


def clean_pairs(
    X,
    Y,
    r,
    *,
    encoder: str = "pls",
    ridge: float = 0.01,
    rounds: int = 5,
    folds: int = 2,
    n_null: int = 5,
    rng,
) -> CleanFit:
    """Fit encoders while down-weighting wrongly matched pairs (posterior weights).

    Round 1 scores every pair with the keep-all fit. In each round, for each
    fold: fit encoders on the *other* folds with the current weights
    (cross-fitting; ``folds=1`` scores each pair with a fit it was part of),
    embed the fold's pairs with the weighted means of the fitting folds
    removed, and score each pair by the cosine similarity of its two
    embeddings. The null sample is the scores of ``n_null`` derangements of
    the fold (rows in a random order, each ``x`` paired with the next row's
    ``y``). Then ``pi0 = 2 #{s <= median of the null} / n`` (Storey, clipped to
    [0, 1]), ``lfdr(s) = pi0 f0(s) / f(s)`` from Gaussian kernel densities of the
    null and of the scores, made non-increasing in ``s`` and clipped to [0, 1],
    and the new weight of each pair is ``1 - lfdr``. After ``rounds`` rounds the
    encoders are refitted on all pairs with the last weights. Results depend
    on the set of pairs, not on the order of the rows. Costs ``2 rounds folds``
    fits (a few milliseconds each for PLS-SVD at n = 2000). Introduced in the
    chapter `multiview`.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
        The pairs, some wrongly matched; ``n >= 3 folds``.
    r : int
        ``1 <= r <= min(d1, d2)``.
    encoder : {"pls", "cca"}
        PLS-SVD (:func:`mmcl.fit_svd`, weighted) or regularised CCA
        (:func:`mmcl.fit_cca`, weighted, with ``ridge``).
    ridge : float >= 0
        Ridge of the CCA encoder, relative to the mean eigenvalue of each covariance.
    rounds : int >= 1
        Score -> weight -> refit rounds.
    folds : int >= 1
        Cross-fitting folds; 1 scores the pairs in-sample.
    n_null : int >= 1
        Derangements per fold for the null sample.
    rng : numpy.random.Generator or int
        Folds and derangements.

    Returns
    -------
    CleanFit
        ``.G1`` (r x d1), ``.G2`` (r x d2), ``.weights`` (n,), ``.scores``,
        ``.null_scores``, ``.pi0``.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> model = mmcl.make_model(20, 15, 3, rng=0, signal=4.0)
    >>> s = model.sample(1000, eps=0.4, rng=1)
    >>> fit = mmcl.clean_pairs(s.X, s.Y, 3, rng=2)
    >>> fit.weights.shape, bool(fit.weights[s.matched].mean() > fit.weights[~s.matched].mean())
    ((1000,), True)
    """
    X, Y = as_pair(X, Y)
    r = as_rank(r, X.shape[1], Y.shape[1])
    if encoder not in ENCODERS:
        raise ValueError(f"encoder must be one of {ENCODERS}; got {encoder!r}")
    ridge = as_nonnegative(ridge, "ridge")
    rounds = as_int(rounds, "rounds", low=1)
    folds = as_int(folds, "folds", low=1)
    n_null = as_int(n_null, "n_null", low=1)
    rng = as_generator(rng)
    n = X.shape[0]
    if n < 3 * folds:
        raise ValueError(f"X must have at least 3 rows per fold ({3 * folds}); got {n}")
    canonical = _canonical_order(X, Y)
    fold = np.empty(n, dtype=int)
    fold[canonical] = rng.permutation(np.arange(n) % folds)
    tests = [canonical[fold[canonical] == k] for k in range(folds)]  # in canonical order
    trains = [np.flatnonzero(fold != k) if folds > 1 else tests[k] for k in range(folds)]
    blocks = [((X[a], Y[a]), (X[b], Y[b])) for a, b in zip(trains, tests)]
    starts = np.cumsum([0] + [n_null * test.size for test in tests])
    weights = np.ones(n)
    scores, nulls, pi0 = np.empty((rounds, n)), np.empty((rounds, n_null * n)), np.zeros(rounds)
    with one_blas_thread():  # small products: threads only slow them down
        for t in range(rounds):
            new = np.empty(n)
            for k, (train, test) in enumerate(zip(trains, tests)):
                s, null = _fold_scores(*blocks[k], weights[train], r, encoder, ridge, n_null, rng)
                new[test], fold_pi0 = _posterior(s, null)
                scores[t, test], nulls[t, starts[k] : starts[k + 1]] = s, null
                pi0[t] += fold_pi0 * test.size / n
            weights = new
        final = weights if np.count_nonzero(weights) >= 2 else np.ones(n)
        G1, G2 = _fit(X, Y, r, final, encoder, ridge)
    return CleanFit(G1=G1, G2=G2, weights=weights, scores=scores, null_scores=nulls, pi0=pi0)


def filter_pairs(weights, *, target_fdr: float) -> np.ndarray:
    """Hard filter: the largest set of highest-weight pairs whose estimated FDR is at most a target.

    With ``lfdr = 1 - weights``, the estimated false-discovery rate of the ``k``
    pairs of lowest ``lfdr`` is their mean ``lfdr``; keep the largest ``k`` for
    which it is at most ``target_fdr`` (Efron's rule). Introduced in the
    chapter `multiview`.

    Parameters
    ----------
    weights : array, shape (n,)
        Posterior probabilities of being correct, in [0, 1] (``CleanFit.weights``).
    target_fdr : float in (0, 1)

    Returns
    -------
    ndarray of bool, shape (n,)
        True for the pairs kept.

    Examples
    --------
    >>> import mmcl
    >>> mmcl.filter_pairs([1.0, 0.9, 0.5, 0.0], target_fdr=0.1)
    array([ True,  True, False, False])
    """
    q = as_target_fdr(target_fdr)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size < 1:
        raise ValueError(f"weights must be a non-empty 1-D array; got shape {w.shape}")
    if not (np.isfinite(w).all() and (w >= 0).all() and (w <= 1).all()):
        raise ValueError("weights must lie in [0, 1]")
    order = np.argsort(-w, kind="stable")
    fdr = np.cumsum(1.0 - w[order]) / np.arange(1, w.size + 1)
    passed = np.flatnonzero(fdr <= q)
    keep = np.zeros(w.size, dtype=bool)
    if passed.size:
        keep[order[: passed[-1] + 1]] = True
    return keep
