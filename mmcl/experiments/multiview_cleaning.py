"""Experiments of the chapter `multiview` on mismatched pairs: keep them all, filter them, or
weight them by the posterior probability that they are correct (:func:`mmcl.clean_pairs`), on the
two-modality model and on real views.

Runners return frozen dataclasses (seed or split axis first; no plotting).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from .._checks import as_generator, as_int, as_probability, as_target_fdr
from .._threads import one_blas_thread
from ..cleaning import ENCODERS, clean_pairs, clean_pairs_batch, filter_pairs
from ..data import make_model, mismatch
from ..metrics import sin_theta
from ..solvers import fit_svd
from ._seeds import seed_list
from ._views import (
    check_views,
    fit_encoders,
    mean_or_nan,
    retrieval_scores,
    standardise,
    train_test,
)
from .multiview import VIEW_PAIRS

__all__ = ["auc", "CleaningSweep", "cleaning_sweep", "RealCleaning", "real_cleaning"]


def auc(weights, truth) -> float:
    """Area under the ROC curve of ``weights`` for telling true pairs (``truth``) from wrong ones.

    The probability that a random true pair outranks a random wrong one (ties
    count one half); ``nan`` when either class is empty. Introduced in the
    chapter `multiview`.

    Examples
    --------
    >>> from mmcl.experiments.multiview_cleaning import auc
    >>> auc([0.9, 0.8, 0.1, 0.8], [True, True, False, False])
    0.875
    """
    w, t = np.asarray(weights, dtype=float), np.asarray(truth, dtype=bool)
    if w.shape != t.shape or w.ndim != 1:
        raise ValueError(
            f"weights and truth must be 1-D of the same shape; got {w.shape}, {t.shape}"
        )
    n1, n0 = int(t.sum()), int((~t).sum())
    if not (n1 and n0):
        return float("nan")
    # Mann-Whitney: the mid-ranks of the true pairs count every wrong pair below them, ties
    # one half (exact: rank sums are multiples of one half)
    above = rankdata(w)[t].sum() - n1 * (n1 + 1) / 2
    return float(above / (n1 * n0))


# --- the two-modality model ---------------------------------------------------------------


@dataclass(frozen=True)
class CleaningSweep:
    """Subspace errors of four ways to treat mismatched pairs (see :func:`cleaning_sweep`).

    Introduced in the chapter `multiview`.

    Attributes
    ----------
    epss : ndarray, shape (E,)
    signals : ndarray, shape (K,)
        Latent variance (the noise variance is 1): the signal-to-noise ratio.
    targets : ndarray, shape (Q,)
        FDR targets of the hard filters.
    keep_all, oracle, weighted : ndarray, shape (seeds, K, E)
        ``||sin Theta(G1^T, U1)||_F`` of ``fit_svd`` on all pairs, on the true pairs
        only, and of :func:`mmcl.clean_pairs`.
    filtered : ndarray, shape (seeds, K, E, Q)
        ``fit_svd`` on the pairs kept by :func:`mmcl.filter_pairs` (``nan`` if
        fewer than ``r + 1`` are kept).
    kept, fdp : ndarray, shape (seeds, K, E, Q)
        Fraction of the pairs kept, and the fraction of wrong pairs among them (``nan`` if
        none is kept).
    pi0 : ndarray, shape (seeds, K, E)
        Estimated fraction of wrong pairs (last round).
    auc : ndarray, shape (seeds, K, E)
        AUC of the weights for true against wrong pairs (``nan`` at eps = 0).
    """

    epss: np.ndarray
    signals: np.ndarray
    targets: np.ndarray
    keep_all: np.ndarray
    oracle: np.ndarray
    weighted: np.ndarray
    filtered: np.ndarray
    kept: np.ndarray
    fdp: np.ndarray
    pi0: np.ndarray
    auc: np.ndarray


def _rng(*key):
    return np.random.default_rng(list(key))


def _fraction_grid(values, name):
    return np.array([as_probability(float(v), name) for v in np.atleast_1d(values)])


def _sweep_cell(X, Y, matched, U1, r, targets, cleaned):
    """Every fit of one sample of :func:`cleaning_sweep`, given its cleaning; name -> value(s)."""

    def error(keep):
        return sin_theta(fit_svd(X[keep], Y[keep], r).G1.T, U1)

    cell = {
        "keep_all": error(np.ones(X.shape[0], bool)),
        "oracle": error(matched),
        "weighted": sin_theta(cleaned.G1.T, U1),
        "pi0": cleaned.pi0[-1],
        "auc": auc(cleaned.weights, matched),
    }
    cell.update({k: np.full(len(targets), np.nan) for k in ("filtered", "kept", "fdp")})
    for q, target in enumerate(targets):
        keep = filter_pairs(cleaned.weights, target_fdr=target)
        cell["kept"][q], cell["fdp"][q] = keep.mean(), mean_or_nan(~matched[keep])
        if keep.sum() > r:
            cell["filtered"][q] = error(keep)
    return cell


def cleaning_sweep(
    *,
    epss,
    signals,
    seeds: int,
    rng,
    targets=(0.05, 0.1, 0.2),
    d1: int = 40,
    d2: int = 30,
    r: int = 5,
    n: int = 2000,
    rounds: int = 5,
) -> CleaningSweep:
    """Keep-all, hard filters, posterior weights and the oracle under mismatch, across SNR.

    For each seed and signal a model ``make_model(d1, d2, r, signal=signal,
    noise_sd=1)`` is drawn, and ``n`` pairs with mismatch probability eps; the
    samples of one seed share their latents and noise across eps (common random
    numbers). Introduced in the chapter `multiview`.

    Parameters
    ----------
    epss : sequence of float in [0, 1)
    signals : sequence of float > 0
    seeds : int
    rng : numpy.random.Generator or int
    targets : sequence of float in (0, 1)
    d1, d2, r, n : int
    rounds : int
        Rounds of :func:`mmcl.clean_pairs`.

    Returns
    -------
    CleaningSweep

    Examples
    --------
    >>> from mmcl.experiments.multiview_cleaning import cleaning_sweep
    >>> out = cleaning_sweep(epss=[0.0, 0.5], signals=[4.0], seeds=2, rng=0, n=300, rounds=2)
    >>> out.weighted.shape, out.filtered.shape
    ((2, 1, 2), (2, 1, 2, 3))
    """
    epss = _fraction_grid(epss, "epss")
    if np.any(epss >= 1):
        raise ValueError("epss must lie in [0, 1): with every pair wrong there is nothing to find")
    signals = np.array([float(s) for s in np.atleast_1d(signals)])
    if not (np.isfinite(signals).all() and (signals > 0).all()):
        raise ValueError(f"signals must be positive numbers; got {signals}")
    targets = np.array([as_target_fdr(float(q)) for q in np.atleast_1d(targets)])
    n = as_int(n, "n", low=20)
    shape = (as_int(seeds, "seeds", low=1), signals.size, epss.size)
    out = {k: np.full(shape, np.nan) for k in ("keep_all", "oracle", "weighted", "pi0", "auc")}
    out.update({k: np.full(shape + (targets.size,), np.nan) for k in ("filtered", "kept", "fdp")})
    with one_blas_thread():  # small products: threads only slow them down
        for s, seed in enumerate(seed_list(rng, shape[0])):
            cells, samples = [], []
            for k, signal in enumerate(signals):
                model = make_model(d1, d2, r, rng=_rng(seed, k), signal=float(signal), noise_sd=1.0)
                for e, eps in enumerate(epss):
                    cells.append((k, e, model.U1))
                    samples.append(model.sample(n, eps=float(eps), rng=_rng(seed, k, 1)))
            # every setting of a seed cleaned at once, each with the seed's own generator
            X, Y = np.stack([p.X for p in samples]), np.stack([p.Y for p in samples])
            fits = clean_pairs_batch(X, Y, r, rounds=rounds, rngs=[seed] * len(samples))
            for (k, e, U1), pairs, fit in zip(cells, samples, fits):
                cell = _sweep_cell(pairs.X, pairs.Y, pairs.matched, U1, r, targets, fit)
                for key, value in cell.items():
                    out[key][s, k, e] = value
    return CleaningSweep(epss=epss, signals=signals, targets=targets, **out)


# --- real data: mismatched pairs ----------------------------------------------------------


@dataclass(frozen=True)
class RealCleaning:
    """Mismatched pairs of real views, with and without cleaning (see :func:`real_cleaning`).

    Introduced in the chapter `multiview`.

    Attributes
    ----------
    pairs : tuple of (str, str)
        P view pairs.
    encoders : tuple of str
        C encoders (``"pls"``, ``"cca"``).
    epss : ndarray, shape (E,)
    keep_all, cleaned, filtered, oracle : ndarray, shape (splits, P, C, E)
        Top-1 test retrieval of the encoder fitted on all training pairs, with the
        weights of :func:`mmcl.clean_pairs`, on the pairs kept by
        :func:`mmcl.filter_pairs` at ``target_fdr``, and on the true pairs only.
    filtered_fdp : ndarray, shape (splits, P, C, E)
        Fraction of wrong pairs among those kept by the filter.
    auc, pi0 : ndarray, shape (splits, P, C, E)
        AUC of the weights (true against wrong pairs) and the estimated fraction
        of wrong pairs.
    weight_true, weight_same_digit, weight_other_digit : ndarray, shape (splits, P, C, E)
        Mean weight of the true pairs, of the wrong pairs whose two views show
        the same digit (0-9), and of the other wrong pairs.
    chance : float
    """

    pairs: tuple
    encoders: tuple
    epss: np.ndarray
    keep_all: np.ndarray
    cleaned: np.ndarray
    filtered: np.ndarray
    oracle: np.ndarray
    filtered_fdp: np.ndarray
    auc: np.ndarray
    pi0: np.ndarray
    weight_true: np.ndarray
    weight_same_digit: np.ndarray
    weight_other_digit: np.ndarray
    chance: float


def real_cleaning(
    views,
    labels,
    *,
    epss,
    pairs=VIEW_PAIRS,
    encoders=ENCODERS,
    splits: int = 3,
    r: int = 10,
    n_train: int = 1500,
    ridge: float = 0.01,
    target_fdr: float = 0.1,
    rounds: int = 5,
    rng,
) -> RealCleaning:
    """Break a fraction eps of the training pairs of real views, then fit with and without cleaning.

    Each split draws ``n_train`` training digits (z-scored with their own
    statistics; the test digits keep their true pairs) and, for each eps,
    shuffles the modality-2 rows of ``round(eps n_train)`` training pairs among
    themselves (:func:`mmcl.mismatch`). Introduced in the chapter `multiview`.

    Parameters
    ----------
    views : dict of str -> array, shape (N, d_view)
    labels : array of int, shape (N,)
    epss : sequence of float in [0, 1)
    pairs : sequence of (str, str)
    encoders : sequence of {"pls", "cca"}
    splits : int
    r : int
    n_train : int
    ridge : float >= 0
        Ridge of the CCA encoder (relative to the mean eigenvalue); every CCA fit
        whitens by Cholesky factors (:func:`mmcl.fit_cca`).
    target_fdr : float in (0, 1)
        Target of the hard filter.
    rounds : int
        Rounds of :func:`mmcl.clean_pairs`.
    rng : numpy.random.Generator or int

    Returns
    -------
    RealCleaning

    Examples
    --------
    >>> import mmcl
    >>> from mmcl.experiments.multiview_cleaning import real_cleaning
    >>> views, labels = mmcl.load_multiple_features()
    >>> out = real_cleaning(views, labels, epss=[0.5], pairs=[("mor", "zer")],
    ...                     encoders=["pls"], splits=1, r=2, rounds=1, rng=0)
    >>> out.cleaned.shape
    (1, 1, 1, 1)
    """
    labels, pairs = check_views(views, labels, pairs)
    epss = _fraction_grid(epss, "epss")
    if np.any(epss >= 1):
        raise ValueError("epss must lie in [0, 1): the oracle needs some true pairs")
    encoders = tuple(encoders)
    if not encoders or any(e not in ENCODERS for e in encoders):
        raise ValueError(f"encoders must be a non-empty list of {ENCODERS}; got {encoders}")
    splits = as_int(splits, "splits", low=1)
    n_train = as_int(n_train, "n_train", low=12, high=labels.shape[0] - 2)
    target_fdr = as_target_fdr(target_fdr)
    rng = as_generator(rng)
    shape = (splits, len(pairs), len(encoders), epss.size)
    names = RealCleaning.__dataclass_fields__
    out = {k: np.full(shape, np.nan) for k in names if k not in ("pairs", "encoders", "epss")}
    del out["chance"]
    index = np.arange(n_train, dtype=float)[:, None]
    with one_blas_thread():
        for s in range(splits):
            train, test = train_test(labels.shape[0], n_train, rng)
            scaled = {v: standardise(views[v], train, test) for v in {v for p in pairs for v in p}}
            for e, eps in enumerate(epss):
                source = mismatch(index, float(eps), rng=rng)[0][:, 0].astype(int)
                true = source == np.arange(n_train)
                same = labels[train][source] == labels[train]
                for p, (a, b) in enumerate(pairs):
                    (Xtr, Xte), (Ytr, Yte) = scaled[a], scaled[b]
                    Ytr = Ytr[source]
                    for c, enc in enumerate(encoders):
                        at = (s, p, c, e)

                        def score(G, Xte=Xte, Yte=Yte, yte=labels[test]):
                            return retrieval_scores(Xte @ G[0].T, Yte @ G[1].T, yte)[0]

                        def refit(rows, Xtr=Xtr, Ytr=Ytr, enc=enc):
                            return fit_encoders(
                                Xtr[rows], Ytr[rows], r, enc, ridge, whitening="cholesky"
                            )

                        out["keep_all"][at] = keep_all = score(refit(slice(None)))
                        # with no pair broken the oracle is the keep-all fit
                        out["oracle"][at] = keep_all if true.all() else score(refit(true))
                        fit = clean_pairs(
                            Xtr, Ytr, r, encoder=enc, ridge=ridge, rounds=rounds, rng=rng
                        )
                        w = fit.weights
                        out["cleaned"][at] = score((fit.G1, fit.G2))
                        keep = filter_pairs(w, target_fdr=target_fdr)
                        if keep.sum() > r:
                            out["filtered"][at] = score(refit(keep))
                            out["filtered_fdp"][at] = np.mean(~true[keep])
                        out["auc"][at], out["pi0"][at] = auc(w, true), fit.pi0[-1]
                        out["weight_true"][at] = w[true].mean()
                        out["weight_same_digit"][at] = mean_or_nan(w[~true & same])
                        out["weight_other_digit"][at] = mean_or_nan(w[~true & ~same])
    return RealCleaning(
        pairs=pairs,
        encoders=encoders,
        epss=epss,
        chance=1.0 / (labels.shape[0] - n_train),
        **out,
    )
