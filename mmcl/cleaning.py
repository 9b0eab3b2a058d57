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

__all__ = ["CleanFit", "clean_pairs", "clean_pairs_batch", "filter_pairs", "ENCODERS"]

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


def _fit_stack(X, Y, w, r, encoder, ridge):
    """Encoders of B weighted problems (X: B x m x d1, w: B x m) and their weighted means.

    PLS-SVD is solved for all B at once (the weighted cross-covariances of
    :func:`mmcl.weighted_cross_covariance` as one batched product, then a
    batched SVD); CCA one problem at a time with :func:`mmcl.fit_cca`, whitening by
    Cholesky factors (the covariances are ridged, and refitted in every round and fold).
    """
    w = np.where((np.count_nonzero(w, axis=1) >= 2)[:, None], w, 1.0)
    W = w.sum(axis=1)
    sx, sy = np.matmul(w[:, None, :], X)[:, 0], np.matmul(w[:, None, :], Y)[:, 0]
    means = (sx / W[:, None], sy / W[:, None])
    if encoder != "pls":
        fits = [
            fit_cca(Xb, Yb, r, ridge=ridge, weights=wb, whitening="cholesky")
            for Xb, Yb, wb in zip(X, Y, w)
        ]
        return np.stack([f.G1 for f in fits]), np.stack([f.G2 for f in fits]), means
    if X.shape[2] <= Y.shape[2]:  # weight the narrower modality
        S = np.matmul((w[:, :, None] * X).transpose(0, 2, 1), Y)
    else:
        S = np.matmul(X.transpose(0, 2, 1), w[:, :, None] * Y)
    S -= sx[:, :, None] * (sy / W[:, None])[:, None, :]
    S /= (W - np.einsum("bm,bm->b", w, w) / W)[:, None, None]
    U, sigma, Vt = np.linalg.svd(S, full_matrices=False)
    root = np.sqrt(sigma[:, :r])[:, :, None]
    return root * U[:, :, :r].transpose(0, 2, 1), root * Vt[:, :r], means


def _unit_embeddings(A, G, mean):
    """Rows of ``(A - mean) G^T`` scaled to unit length (stacked: A is B x m x d).

    The mean is removed after the projection (r columns, not d)."""
    Gt = G.transpose(0, 2, 1)
    E = np.matmul(A, Gt) - np.matmul(mean[:, None, :], Gt)
    return E / np.maximum(np.linalg.norm(E, axis=2, keepdims=True), np.finfo(float).tiny)


def _fold_scores(train, test, w, r, encoder, ridge, n_null, rngs):
    """Scores of the pairs ``test`` under encoders fitted on ``train`` with weights ``w``, and a
    null sample, for B problems at once (``train``, ``test``: (X, Y) blocks, B x m x d)."""
    G1, G2, (mx, my) = _fit_stack(*train, w, r, encoder, ridge)
    E1, E2 = _unit_embeddings(test[0], G1, mx), _unit_embeddings(test[1], G2, my)
    # n_null derangements: in each random order, every x meets the next row's y
    B, m = E1.shape[:2]
    order = np.stack([g.permuted(np.broadcast_to(np.arange(m), (n_null, m)), axis=1) for g in rngs])
    item = np.arange(B)[:, None, None]
    null = np.einsum("bkir,bkir->bki", E1[item, order], E2[item, np.roll(order, -1, axis=2)])
    return np.einsum("bir,bir->bi", E1, E2), null.reshape(B, -1)


def _quantiles(ordered, q):
    """Quantiles ``q`` of each row of sorted samples, B x m -> B x len(q) (linear
    interpolation, NumPy's default method)."""
    position = np.asarray(q, dtype=float) * (ordered.shape[-1] - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, ordered.shape[-1] - 1)
    return ordered[:, low] + (ordered[:, high] - ordered[:, low]) * (position - low)


def _densities(ordered):
    """Gaussian kernel density of each row of sorted samples on the grid (binned, reflected at
    +-1), B x m -> B x grid.

    Bandwidth: Silverman's rule ``0.9 min(sd, IQR/1.34) m^(-1/5)``, at least two grid steps;
    the kernel is cut at four bandwidths.
    """
    B, m = ordered.shape
    size, step = _GRID.size, _GRID[1] - _GRID[0]
    q75, q25 = _quantiles(ordered, [0.75, 0.25]).T
    iqr, sd = q75 - q25, ordered.std(axis=1)
    spread = np.where(iqr > 0, np.minimum(sd, iqr / 1.34), sd)
    bandwidth = np.maximum(0.9 * spread * m ** (-0.2), 2 * step)
    bins = np.rint((np.clip(ordered, -1.0, 1.0) + 1.0) / step).astype(int)
    bins += size * np.arange(B)[:, None]
    counts = np.bincount(bins.ravel(), minlength=B * size).reshape(B, size).astype(float)
    half = np.ceil(4 * bandwidth / step).astype(int)
    period = 2 * (size - 1)  # mirror images about both ends, as often as needed
    density = np.empty((B, size))
    for b in range(B):  # each row its own kernel width: a direct convolution per row
        offsets = np.arange(-half[b], half[b] + 1)
        kernel = np.exp(-0.5 * (offsets * step / bandwidth[b]) ** 2)
        reflected = np.arange(-half[b], size + half[b]) % period
        reflected = np.minimum(reflected, period - reflected)
        density[b] = np.convolve(counts[b, reflected], kernel, mode="valid")
    return density / (density.sum(axis=1, keepdims=True) * step)


def _on_grid(values, x):
    """Linear interpolation of each row of ``values`` (B x grid) at the points ``x`` (B x m)."""
    step = _GRID[1] - _GRID[0]
    position = (np.clip(x, -1.0, 1.0) + 1.0) / step
    low = np.minimum(np.floor(position).astype(int), _GRID.size - 2)
    below = np.take_along_axis(values, low, axis=1)
    return below + (np.take_along_axis(values, low + 1, axis=1) - below) * (position - low)


def _posterior(scores, null):
    """``1 - lfdr`` of each score and Storey's estimate of ``pi0`` (median of the null), for
    each row of the scores (B x m) and of the null sample (B x M)."""
    null = np.sort(null, axis=1)
    order = np.argsort(scores, axis=1, kind="stable")
    ordered = np.take_along_axis(scores, order, axis=1)
    median = _quantiles(null, [0.5])
    pi0 = np.clip(2.0 * np.mean(scores <= median, axis=1), 0.0, 1.0)
    f0, f = _on_grid(_densities(null), ordered), _on_grid(_densities(ordered), ordered)
    lfdr = np.clip(pi0[:, None] * f0 / np.maximum(f, 1e-300), 0.0, 1.0)
    weights = np.empty_like(scores)
    for b, row in enumerate(lfdr):  # lfdr made to fall as the score rises
        fitted = isotonic_regression(row, increasing=False).x
        weights[b, order[b]] = 1.0 - np.clip(fitted, 0.0, 1.0)
    return weights, pi0


def _canonical_order(X, Y):
    """Rows sorted by a fixed projection of their content, so that results depend on the set of
    pairs and not on how it is listed (distinct rows tie with probability zero); stacked, B x n."""
    directions = np.random.default_rng(0)
    key = X @ directions.standard_normal(X.shape[-1]) + Y @ directions.standard_normal(Y.shape[-1])
    return np.argsort(key, axis=-1, kind="stable")


def _clean_stack(X, Y, r, encoder, ridge, rounds, folds, n_null, rngs):
    """:func:`clean_pairs` of B validated problems of one size (X: B x n x d1), vectorised."""
    B, n = X.shape[:2]
    item = np.arange(B)[:, None]
    canonical = _canonical_order(X, Y)
    fold = np.empty((B, n), dtype=int)
    for b, g in enumerate(rngs):
        fold[b, canonical[b]] = g.permutation(np.arange(n) % folds)
    # rows of each fold in canonical order, and the rows fitted to score them (every fold of
    # the same size in every problem); all cut once, reused in every round
    in_fold = np.take_along_axis(fold, canonical, axis=1)
    tests = [canonical[in_fold == k].reshape(B, -1) for k in range(folds)]
    trains = [np.nonzero(fold != k)[1].reshape(B, -1) for k in range(folds)] if folds > 1 else tests
    blocks = [((X[item, a], Y[item, a]), (X[item, c], Y[item, c])) for a, c in zip(trains, tests)]
    starts = np.cumsum([0] + [n_null * test.shape[1] for test in tests])
    weights = np.ones((B, n))
    scores, nulls = np.empty((B, rounds, n)), np.empty((B, rounds, n_null * n))
    pi0 = np.zeros((B, rounds))
    with one_blas_thread():  # small products: threads only slow them down
        for t in range(rounds):
            new = np.empty((B, n))
            for k, (train, test) in enumerate(zip(trains, tests)):
                w = np.take_along_axis(weights, train, axis=1)
                s, null = _fold_scores(*blocks[k], w, r, encoder, ridge, n_null, rngs)
                new[item, test], fold_pi0 = _posterior(s, null)
                pi0[:, t] += fold_pi0 * test.shape[1] / n
                scores[item, t, test], nulls[:, t, starts[k] : starts[k + 1]] = s, null
            weights = new
        G1, G2, _ = _fit_stack(X, Y, weights, r, encoder, ridge)
    return [
        CleanFit(
            G1=G1[b],
            G2=G2[b],
            weights=weights[b],
            scores=scores[b],
            null_scores=nulls[b],
            pi0=pi0[b],
        )
        for b in range(B)
    ]


def _options(r, X, Y, encoder, ridge, rounds, folds, n_null):
    """Validated options of :func:`clean_pairs` for pairs ``X``, ``Y`` (rows on the last but one
    axis)."""
    r = as_rank(r, X.shape[-1], Y.shape[-1])
    if encoder not in ENCODERS:
        raise ValueError(f"encoder must be one of {ENCODERS}; got {encoder!r}")
    ridge = as_nonnegative(ridge, "ridge")
    rounds = as_int(rounds, "rounds", low=1)
    folds = as_int(folds, "folds", low=1)
    n_null = as_int(n_null, "n_null", low=1)
    n = X.shape[-2]
    if n < 3 * folds:
        raise ValueError(f"X must have at least 3 rows per fold ({3 * folds}); got {n}")
    return r, encoder, ridge, rounds, folds, n_null


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
    fits (a few milliseconds each for PLS-SVD at n = 2000); many problems of one
    size are cleaned faster together by :func:`clean_pairs_batch`. Introduced in
    the chapter `multiview`.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
        The pairs, some wrongly matched; ``n >= 3 folds``.
    r : int
        ``1 <= r <= min(d1, d2)``.
    encoder : {"pls", "cca"}
        PLS-SVD (:func:`mmcl.fit_svd`, weighted) or regularised CCA
        (:func:`mmcl.fit_cca`, weighted, with ``ridge`` and Cholesky whitening).
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
    r, encoder, ridge, rounds, folds, n_null = _options(
        r, X, Y, encoder, ridge, rounds, folds, n_null
    )
    rng = as_generator(rng)
    return _clean_stack(X[None], Y[None], r, encoder, ridge, rounds, folds, n_null, [rng])[0]


def clean_pairs_batch(
    X,
    Y,
    r,
    *,
    encoder: str = "pls",
    ridge: float = 0.01,
    rounds: int = 5,
    folds: int = 2,
    n_null: int = 5,
    rngs,
) -> list[CleanFit]:
    """:func:`clean_pairs` of B problems of the same size at once (same results, one each).

    Problem ``b`` is ``clean_pairs(X[b], Y[b], r, rng=rngs[b], ...)``: the same
    folds, derangements, weights and encoders, computed with batched products
    and a batched SVD for PLS-SVD, so a sweep over seeds or settings pays the
    per-call overhead once per round instead of once per problem. Introduced
    in the chapter `multiview`.

    Parameters
    ----------
    X : array, shape (B, n, d1)
    Y : array, shape (B, n, d2)
        B sets of pairs; ``n >= 3 folds``.
    r : int
        ``1 <= r <= min(d1, d2)``.
    encoder, ridge, rounds, folds, n_null
        As in :func:`clean_pairs`.
    rngs : sequence of numpy.random.Generator or int, length B
        The ``rng`` of each problem.

    Returns
    -------
    list of CleanFit
        One per problem.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> model = mmcl.make_model(20, 15, 3, rng=0, signal=4.0)
    >>> pairs = [model.sample(500, eps=eps, rng=1) for eps in (0.2, 0.6)]
    >>> X, Y = np.stack([p.X for p in pairs]), np.stack([p.Y for p in pairs])
    >>> fits = mmcl.clean_pairs_batch(X, Y, 3, rngs=[2, 2])
    >>> one = mmcl.clean_pairs(pairs[1].X, pairs[1].Y, 3, rng=2)
    >>> bool(np.allclose(fits[1].weights, one.weights))
    True
    """
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 3 or Y.ndim != 3 or X.shape[0] != Y.shape[0] or X.shape[0] < 1:
        raise ValueError(
            f"X and Y must be stacks (B, n, d1) and (B, n, d2) of the same B >= 1; "
            f"got shapes {X.shape} and {Y.shape}"
        )
    X, Y = (np.stack(arrays) for arrays in zip(*(as_pair(Xb, Yb) for Xb, Yb in zip(X, Y))))
    r, encoder, ridge, rounds, folds, n_null = _options(
        r, X, Y, encoder, ridge, rounds, folds, n_null
    )
    if isinstance(rngs, (np.random.Generator, int, np.integer)) or len(rngs) != X.shape[0]:
        raise ValueError(
            f"rngs must be a sequence of {X.shape[0]} generators or seeds (one per problem)"
        )
    rngs = [as_generator(g, "rngs") for g in rngs]
    return _clean_stack(X, Y, r, encoder, ridge, rounds, folds, n_null, rngs)


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
