"""Experiments of the chapter `unpaired`: detecting hidden pairs and calibrating the price.

Each seed draws its own model, pairs and unpaired samples from one integer
taken from ``rng``, and reuses them for every setting of a sweep (common
random numbers), so the settings differ only in what the sweep varies.
What the detected pairs buy is measured in :mod:`mmcl.experiments.unpaired_gain`. Runners
return dataclasses (no plotting); the figures and the explorer live in
``mmcl.figures.unpaired``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_generator, as_int, as_positive, as_probability
from ..data import make_model, sample_unpaired
from ..metrics import detection_scores
from ..unpaired import fit_with_unpaired
from ._seeds import seed_list

__all__ = [
    "UnpairedProblem",
    "unpaired_problem",
    "DetectionSweep",
    "detection_sweep",
    "FDRCalibration",
    "fdr_calibration",
    "round_scores",
]


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
    *, snr: float, fraction: float, n: int, m: int, d: int, r: int, rng
) -> UnpairedProblem:
    """The chapter's setting: ``d1 = d2 = d``, latent variance ``snr``, noise variance 1.

    ``n`` pairs and ``m`` unpaired samples per modality, of which a fraction
    ``fraction`` has its partner on the other side. Introduced in the chapter
    `unpaired`.

    Parameters
    ----------
    snr : float > 0
    fraction : float in [0, 1]
    n, m, d, r : int
    rng : numpy.random.Generator or int
        Draws the model, the pairs and the unpaired samples, in this order.

    Returns
    -------
    UnpairedProblem

    Examples
    --------
    >>> from mmcl.experiments.unpaired import unpaired_problem
    >>> p = unpaired_problem(snr=4.0, fraction=0.5, n=20, m=30, d=8, r=2, rng=0)
    >>> p.pairs.X.shape, p.unpaired.Xu.shape, p.unpaired.truth.shape
    ((20, 8), (30, 8), (15, 2))
    """
    d, m = as_int(d, "d", low=1), as_int(m, "m", low=1)
    fraction = as_probability(fraction, "fraction")
    rng = as_generator(rng)
    model = make_model(d, d, r, rng=rng, signal=as_positive(snr, "snr"), noise_sd=1.0)
    pairs = model.sample(n, rng=rng)
    un = sample_unpaired(model, m, partner_fraction=fraction, rng=rng)
    return UnpairedProblem(model=model, pairs=pairs, unpaired=un)


def _values(values, name: str, check) -> np.ndarray:
    """A sweep's grid as a 1-D float array, each value validated by ``check(value, name)``."""
    return np.array([check(float(v), name) for v in np.atleast_1d(values)])


@dataclass(frozen=True)
class DetectionSweep:
    """Detection of hidden pairs against the signal-to-noise ratio (see :func:`detection_sweep`).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    snrs : ndarray, shape (S,)
    fractions : ndarray, shape (F,)
    precision, recall : ndarray, shape (F, S, seeds)
        Of the final matching.
    round_precision, round_recall : ndarray, shape (F, S, seeds, rounds + 1)
        Of the matching of each round; round 0 has no pairs, and after
        convergence the last matching is repeated.
    """

    snrs: np.ndarray
    fractions: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    round_precision: np.ndarray
    round_recall: np.ndarray


def round_scores(pair_history, truth, rounds: int) -> np.ndarray:
    """Precision and recall of each round's matching, the last repeated up to ``rounds + 1``.

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    pair_history : list of arrays of shape (k, 2)
        ``UnpairedFit.pair_history``.
    truth : array of int, shape (t, 2)
    rounds : int

    Returns
    -------
    ndarray, shape (rounds + 1, 2)

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.experiments.unpaired import round_scores
    >>> history = [np.empty((0, 2), int), np.array([[0, 0], [1, 2]])]
    >>> round_scores(history, [[0, 0], [1, 1]], 3)[:, 0].tolist()   # precision per round
    [1.0, 0.5, 0.5, 0.5]
    """
    rounds = as_int(rounds, "rounds", low=0)
    if len(pair_history) == 0:
        raise ValueError("pair_history must hold at least one matching (round 0)")
    scores = [detection_scores(P, truth) for P in pair_history][: rounds + 1]
    scores += [scores[-1]] * (rounds + 1 - len(scores))
    return np.array(scores)


def detection_sweep(
    *,
    snrs,
    fractions,
    seeds: int = 4,
    rng,
    n: int = 100,
    m: int = 200,
    d: int = 40,
    r: int = 10,
    target_fdr: float = 0.1,
    rounds: int = 10,
) -> DetectionSweep:
    """Precision and recall of :func:`mmcl.fit_with_unpaired` over SNR and partner fraction.

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    snrs : sequence of float > 0
        Latent variances (noise variance 1).
    fractions : sequence of float in [0, 1]
        Fractions of unpaired samples that have a partner.
    seeds : int
    rng : numpy.random.Generator or int
    n, m, d, r : int
        Pairs, unpaired samples per modality, dimension, rank.
    target_fdr : float in (0, 1)
    rounds : int

    Returns
    -------
    DetectionSweep

    Examples
    --------
    >>> from mmcl.experiments.unpaired import detection_sweep
    >>> out = detection_sweep(snrs=[8.0], fractions=[1.0], seeds=2, rng=0, n=20, m=20, d=8, r=2,
    ...                       rounds=2)
    >>> out.precision.shape, out.round_recall.shape
    ((1, 1, 2), (1, 1, 2, 3))
    """
    snrs, fractions = (
        _values(snrs, "snrs", as_positive),
        _values(fractions, "fractions", as_probability),
    )
    seeds = as_int(seeds, "seeds", low=1)
    rounds = as_int(rounds, "rounds", low=1)
    shape = (fractions.size, snrs.size, seeds)
    final, per_round = np.zeros(shape + (2,)), np.zeros(shape + (rounds + 1, 2))
    for s, seed in enumerate(seed_list(rng, seeds)):
        for a, f in enumerate(fractions):
            for b, snr in enumerate(snrs):
                p = unpaired_problem(snr=snr, fraction=f, n=n, m=m, d=d, r=r, rng=seed)
                un = p.unpaired
                fit = fit_with_unpaired(
                    p.pairs.X, p.pairs.Y, un.Xu, un.Yu, r, target_fdr=target_fdr, rounds=rounds
                )
                per_round[a, b, s] = round_scores(fit.pair_history, un.truth, rounds)
                final[a, b, s] = detection_scores(fit.pairs, un.truth)
    return DetectionSweep(
        snrs=snrs,
        fractions=fractions,
        precision=final[..., 0],
        recall=final[..., 1],
        round_precision=per_round[..., 0],
        round_recall=per_round[..., 1],
    )


@dataclass(frozen=True)
class FDRCalibration:
    """False-discovery proportions achieved at target FDRs (see :func:`fdr_calibration`).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    targets : ndarray, shape (T,)
    fractions : ndarray, shape (F,)
    fdp : ndarray, shape (F, T, seeds)
        Fraction of detected pairs that are not true pairs (0 if none detected).
    detected : ndarray of int, shape (F, T, seeds)
        Number of detected pairs.
    """

    targets: np.ndarray
    fractions: np.ndarray
    fdp: np.ndarray
    detected: np.ndarray


def fdr_calibration(
    *,
    targets,
    fractions,
    seeds: int = 4,
    rng,
    snr: float = 16.0,
    n: int = 100,
    m: int = 200,
    d: int = 40,
    r: int = 10,
) -> FDRCalibration:
    """False-discovery proportion of :func:`mmcl.fit_with_unpaired` at each target FDR.

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    targets : sequence of float in (0, 1)
    fractions : sequence of float in [0, 1]
    seeds : int
    rng : numpy.random.Generator or int
    snr : float > 0
    n, m, d, r : int

    Returns
    -------
    FDRCalibration

    Examples
    --------
    >>> from mmcl.experiments.unpaired import fdr_calibration
    >>> out = fdr_calibration(targets=[0.1, 0.3], fractions=[1.0], seeds=2, rng=0, n=20, m=20,
    ...                       d=8, r=2)
    >>> out.fdp.shape
    (1, 2, 2)
    """
    targets = _values(targets, "targets", as_probability)
    if np.any((targets <= 0) | (targets >= 1)):
        raise ValueError(f"targets must lie strictly between 0 and 1; got {targets.tolist()}")
    fractions = _values(fractions, "fractions", as_probability)
    seeds = as_int(seeds, "seeds", low=1)
    shape = (fractions.size, targets.size, seeds)
    fdp, detected = np.zeros(shape), np.zeros(shape, dtype=int)
    for s, seed in enumerate(seed_list(rng, seeds)):
        for a, f in enumerate(fractions):
            p = unpaired_problem(snr=snr, fraction=f, n=n, m=m, d=d, r=r, rng=seed)
            un = p.unpaired
            for b, q in enumerate(targets):
                fit = fit_with_unpaired(p.pairs.X, p.pairs.Y, un.Xu, un.Yu, r, target_fdr=q)
                fdp[a, b, s] = 1.0 - detection_scores(fit.pairs, un.truth)[0]
                detected[a, b, s] = len(fit.pairs)
    return FDRCalibration(targets=targets, fractions=fractions, fdp=fdp, detected=detected)
