"""Experiments of the chapter `unpaired`: the problems, the calibration of the price, the
limit of matching at large m, and the explorer's view.

Each seed draws its own model, pairs and unpaired samples from one integer taken from
``rng``. The regime map (every route side by side) is in
:mod:`mmcl.experiments.regime_map`, the reproduction of the paper in
:mod:`mmcl.experiments.paper`. Runners return dataclasses (no plotting); the figures and the
explorer live in ``mmcl.figures.unpaired``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .._checks import as_generator, as_int, as_positive, as_probability, as_target_fdr
from .._threads import one_blas_thread
from ..data import make_model, sample_unpaired
from ..metrics import detection_scores
from ..unpaired import fit_with_unpaired
from ._seeds import seed_list

__all__ = [
    "NOISES",
    "UnpairedProblem",
    "unpaired_problem",
    "FDRCalibration",
    "fdr_calibration",
    "MatchingCeiling",
    "matching_ceiling",
]

#: Noise types of the chapter: unit isotropic noise, or plus a rank-3 nuisance per modality.
NOISES = ("isotropic", "structured")


@dataclass(frozen=True)
class UnpairedProblem:
    """A model, its pairs and its unpaired samples (see :func:`unpaired_problem`).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    model : TwoModalityModel
    pairs : PairedSample
    unpaired : UnpairedSample
    """

    model: object
    pairs: object
    unpaired: object


def unpaired_problem(
    *, snr: float, n: int, m: int, d: int, r: int, fraction: float, rng, noise="isotropic"
) -> UnpairedProblem:
    """The chapter's setting: ``d1 = d2 = d``, latent variance ``snr``, noise variance 1.

    ``noise="structured"`` adds a rank-3 nuisance of standard deviation 3 (variance 9, above
    the signal's) to each modality, independent across modalities. ``n`` pairs and ``m``
    unpaired samples per modality, of which a fraction ``fraction`` has its partner on the
    other side. Introduced in the chapter `unpaired`.

    Parameters
    ----------
    snr : float > 0
    n, m, d, r : int
    fraction : float in [0, 1]
    rng : numpy.random.Generator or int
        Draws the model, the pairs and the unpaired samples, in this order.
    noise : "isotropic" or "structured"

    Returns
    -------
    UnpairedProblem

    Examples
    --------
    >>> from mmcl.experiments.unpaired import unpaired_problem
    >>> p = unpaired_problem(snr=4.0, n=20, m=30, d=8, r=2, fraction=0.5, rng=0,
    ...                      noise="structured")
    >>> p.pairs.X.shape, p.unpaired.Xu.shape, p.unpaired.truth.shape, p.model.noise1.loading.shape
    ((20, 8), (30, 8), (15, 2), (8, 3))
    """
    if noise not in NOISES:
        raise ValueError(f"noise must be one of {NOISES}; got {noise!r}")
    rng = as_generator(rng)
    extra = {"nuisance_rank": 3, "nuisance_strength": 3.0} if noise == "structured" else {}
    d = as_int(d, "d", low=1)
    model = make_model(d, d, r, rng=rng, signal=as_positive(snr, "snr"), noise_sd=1.0, **extra)
    pairs = model.sample(as_int(n, "n", low=2), rng=rng)
    frac = as_probability(fraction, "fraction")
    un = sample_unpaired(model, as_int(m, "m", low=1), partner_fraction=frac, rng=rng)
    return UnpairedProblem(model=model, pairs=pairs, unpaired=un)


@dataclass(frozen=True)
class FDRCalibration:
    """False-discovery proportions achieved at target FDRs (see :func:`fdr_calibration`).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    targets : ndarray, shape (T,)
    fdp : ndarray, shape (T, seeds)
        Per run: fraction of detected pairs that are not true pairs (0 if none detected).
    detected : ndarray of int, shape (T, seeds)
        Number of detected pairs per run.
    recall : ndarray, shape (T, seeds)
    """

    targets: np.ndarray
    fdp: np.ndarray
    detected: np.ndarray
    recall: np.ndarray


def fdr_calibration(
    *,
    targets,
    seeds: int = 5,
    rng,
    noise: str = "structured",
    snr: float = 32.0,
    n: int = 40,
    m: int = 400,
    d: int = 40,
    r: int = 10,
    fraction: float = 0.5,
    whiten: bool = True,
) -> FDRCalibration:
    """Per-run false-discovery proportion of :func:`mmcl.fit_with_unpaired` at each target.

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    targets : sequence of float in (0, 1)
    seeds : int
    rng : numpy.random.Generator or int
    noise, snr, n, m, d, r, fraction
        The problem (:func:`unpaired_problem`).
    whiten : bool
        The family of :func:`mmcl.fit_with_unpaired`.

    Returns
    -------
    FDRCalibration

    Examples
    --------
    >>> from mmcl.experiments.unpaired import fdr_calibration
    >>> out = fdr_calibration(targets=[0.1, 0.3], seeds=2, rng=0, n=20, m=20, d=8, r=2)
    >>> out.fdp.shape
    (2, 2)
    """
    targets = np.array([as_target_fdr(float(t)) for t in np.atleast_1d(targets)])
    seeds = as_int(seeds, "seeds", low=1)
    fdp, detected, recall = (np.zeros((targets.size, seeds)) for _ in range(3))
    with one_blas_thread():  # small products only: threads cost more than they save
        for s, seed in enumerate(seed_list(rng, seeds)):
            p = unpaired_problem(
                snr=snr, n=n, m=m, d=d, r=r, fraction=fraction, rng=seed, noise=noise
            )
            un = p.unpaired
            for b, q in enumerate(targets):
                fit = fit_with_unpaired(p.pairs.X, p.pairs.Y, un.Xu, un.Yu, r, target_fdr=q,
                                        whiten=whiten)  # fmt: skip
                precision, recall[b, s] = detection_scores(fit.pairs, un.truth)
                fdp[b, s] = 1.0 - precision
                detected[b, s] = len(fit.pairs)
    return FDRCalibration(targets=targets, fdp=fdp, detected=detected.astype(int), recall=recall)


@dataclass(frozen=True)
class MatchingCeiling:
    """How far cosine matching can go with the true encoders (see :func:`matching_ceiling`).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    ms : ndarray, shape (M,)
    snrs : ndarray, shape (S,)
    null_median : ndarray, shape (M,)
        Median over rows of the best cosine among ``m`` unrelated candidates.
    true_median : ndarray, shape (S,)
        Median cosine of a true pair's embeddings.
    ceiling : ndarray, shape (S, M)
        Fraction of true pairs whose cosine beats the median best unrelated one.
    """

    ms: np.ndarray
    snrs: np.ndarray
    null_median: np.ndarray
    true_median: np.ndarray
    ceiling: np.ndarray


def matching_ceiling(*, ms, snrs, r: int, rng, draws: int = 20_000) -> MatchingCeiling:
    """The best-match null against the true-pair cosine, with the true encoders ``U^T``.

    With isotropic unit noise the embeddings of a true pair are ``z + eta1`` and ``z + eta2``
    with ``z ~ N(0, snr I_r)`` and ``eta ~ N(0, I_r)``; an unrelated candidate has a uniform
    direction, so ``(1 + cos) / 2 ~ Beta((r-1)/2, (r-1)/2)`` and the median of the best of
    ``m`` is the ``0.5^(1/m)`` quantile of that law (closed form). The true-pair cosines are
    drawn (``draws`` pairs). Introduced in the chapter `unpaired`.

    Parameters
    ----------
    ms : sequence of int
    snrs : sequence of float > 0
    r : int >= 2
    rng : numpy.random.Generator or int
    draws : int

    Returns
    -------
    MatchingCeiling

    Examples
    --------
    >>> from mmcl.experiments.unpaired import matching_ceiling
    >>> out = matching_ceiling(ms=[10, 10_000], snrs=[8.0], r=10, rng=0)
    >>> bool(out.null_median[1] > out.null_median[0]), bool(out.ceiling[0, 1] < out.ceiling[0, 0])
    (True, True)
    """
    ms = np.array([as_int(m, "ms", low=1) for m in np.atleast_1d(ms)])
    snrs = np.array([as_positive(float(s), "snrs") for s in np.atleast_1d(snrs)])
    r, draws = as_int(r, "r", low=2), as_int(draws, "draws", low=10)
    rng = as_generator(rng)
    a = (r - 1) / 2
    null = 2 * special.betaincinv(a, a, 0.5 ** (1.0 / ms)) - 1  # the Beta(a, a) quantile
    z = rng.standard_normal((draws, r))
    e1, e2 = rng.standard_normal((2, draws, r))
    cos = np.empty((snrs.size, draws))
    for k, snr in enumerate(snrs):
        u, v = np.sqrt(snr) * z + e1, np.sqrt(snr) * z + e2
        cos[k] = np.sum(u * v, 1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return MatchingCeiling(
        ms=ms,
        snrs=snrs,
        null_median=null,
        true_median=np.median(cos, axis=1),
        ceiling=np.mean(cos[:, :, None] > null[None, None, :], axis=1),
    )
