"""Experiments of the chapter `unpaired`: detecting hidden pairs and what they buy.

Each seed draws its own model, pairs and unpaired samples from one integer
taken from ``rng``, and reuses them for every setting of a sweep (common
random numbers), so the settings differ only in what the sweep varies.
Runners return dataclasses (no plotting); the figures and the explorer live
in ``mmcl.figures.unpaired``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_generator, as_int, as_positive, as_probability
from ..data import make_model, sample_unpaired
from ..matching import best_match_values
from ..metrics import detection_scores, sin_theta
from ..solvers import fit_svd
from ..unpaired import fit_with_pairs, fit_with_unpaired

__all__ = ["UnpairedProblem", "unpaired_problem", "DetectionSweep", "detection_sweep",
           "FDRCalibration", "fdr_calibration", "UnpairedGain", "unpaired_gain", "ExplorerView",
           "explorer_view", "round_scores"]


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


def unpaired_problem(*, snr: float, fraction: float, n: int, m: int, d: int, r: int,
                     rng) -> UnpairedProblem:
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


def _seed_list(rng, seeds: int) -> list[int]:
    """One integer per seed, drawn from ``rng``: the problem of seed s is the same in every setting."""
    seeds = as_int(seeds, "seeds", low=1)
    return [int(v) for v in as_generator(rng).integers(2**63 - 1, size=seeds)]


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


def detection_sweep(*, snrs, fractions, seeds: int = 4, rng, n: int = 100, m: int = 200,
                    d: int = 40, r: int = 10, target_fdr: float = 0.1,
                    rounds: int = 10) -> DetectionSweep:
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
    snrs, fractions = _values(snrs, "snrs", as_positive), _values(fractions, "fractions", as_probability)
    seeds = as_int(seeds, "seeds", low=1)
    rounds = as_int(rounds, "rounds", low=1)
    shape = (fractions.size, snrs.size, seeds)
    final, per_round = np.zeros(shape + (2,)), np.zeros(shape + (rounds + 1, 2))
    for s, seed in enumerate(_seed_list(rng, seeds)):
        for a, f in enumerate(fractions):
            for b, snr in enumerate(snrs):
                p = unpaired_problem(snr=snr, fraction=f, n=n, m=m, d=d, r=r, rng=seed)
                un = p.unpaired
                fit = fit_with_unpaired(p.pairs.X, p.pairs.Y, un.Xu, un.Yu, r,
                                        target_fdr=target_fdr, rounds=rounds)
                per_round[a, b, s] = round_scores(fit.pair_history, un.truth, rounds)
                final[a, b, s] = detection_scores(fit.pairs, un.truth)
    return DetectionSweep(snrs=snrs, fractions=fractions, precision=final[..., 0],
                          recall=final[..., 1], round_precision=per_round[..., 0],
                          round_recall=per_round[..., 1])


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


def fdr_calibration(*, targets, fractions, seeds: int = 4, rng, snr: float = 16.0, n: int = 100,
                    m: int = 200, d: int = 40, r: int = 10) -> FDRCalibration:
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
    for s, seed in enumerate(_seed_list(rng, seeds)):
        for a, f in enumerate(fractions):
            p = unpaired_problem(snr=snr, fraction=f, n=n, m=m, d=d, r=r, rng=seed)
            un = p.unpaired
            for b, q in enumerate(targets):
                fit = fit_with_unpaired(p.pairs.X, p.pairs.Y, un.Xu, un.Yu, r, target_fdr=q)
                fdp[a, b, s] = 1.0 - detection_scores(fit.pairs, un.truth)[0]
                detected[a, b, s] = len(fit.pairs)
    return FDRCalibration(targets=targets, fractions=fractions, fdp=fdp, detected=detected)


@dataclass(frozen=True)
class UnpairedGain:
    """What unpaired data buy (see :func:`unpaired_gain`).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    ms : ndarray of int, shape (M,)
    pairs_only, algorithm, oracle : ndarray, shape (seeds, M)
        ``||sin Theta||_F`` of ``G1`` to ``span(U1)``: :func:`mmcl.fit_svd` on
        the pairs, :func:`mmcl.fit_with_unpaired`, and the oracle
        :func:`mmcl.fit_with_pairs` with the true pairs.
    precision, recall : ndarray, shape (seeds, M)
        Of the algorithm's detected pairs.
    """

    ms: np.ndarray
    pairs_only: np.ndarray
    algorithm: np.ndarray
    oracle: np.ndarray
    precision: np.ndarray
    recall: np.ndarray


def unpaired_gain(*, ms, seeds: int = 10, rng, n: int = 30, snr: float = 16.0, d: int = 40,
                  r: int = 10, fraction: float = 1.0, target_fdr: float = 0.1) -> UnpairedGain:
    """Subspace error of pairs only, the algorithm and the oracle against ``m``.

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    ms : sequence of int
        Numbers of unpaired samples per modality.
    seeds : int
    rng : numpy.random.Generator or int
    n : int
        Pairs.
    snr : float > 0
    d, r : int
    fraction : float in [0, 1]
    target_fdr : float in (0, 1)

    Returns
    -------
    UnpairedGain

    Examples
    --------
    >>> from mmcl.experiments.unpaired import unpaired_gain
    >>> out = unpaired_gain(ms=[10, 20], seeds=2, rng=0, n=10, d=6, r=2)
    >>> out.algorithm.shape
    (2, 2)
    """
    ms = np.array([as_int(m, "ms", low=1) for m in np.atleast_1d(ms)])
    fraction = as_probability(fraction, "fraction")
    seeds = as_int(seeds, "seeds", low=1)
    keys = ("pairs_only", "algorithm", "oracle", "precision", "recall")
    out = {k: np.zeros((seeds, ms.size)) for k in keys}
    for s, seed in enumerate(_seed_list(rng, seeds)):
        for k, m in enumerate(ms):
            p = unpaired_problem(snr=snr, fraction=fraction, n=n, m=m, d=d, r=r, rng=seed)
            X, Y, un = p.pairs.X, p.pairs.Y, p.unpaired
            fits = (fit_svd(X, Y, r),
                    fit_with_unpaired(X, Y, un.Xu, un.Yu, r, target_fdr=target_fdr),
                    fit_with_pairs(X, Y, un.Xu, un.Yu, r, pairs=un.truth))
            for key, fit in zip(keys, fits):
                out[key][s, k] = sin_theta(fit.G1.T, p.model.U1)
            out["precision"][s, k], out["recall"][s, k] = detection_scores(fits[1].pairs, un.truth)
    return UnpairedGain(ms=ms, **out)


@dataclass(frozen=True)
class ExplorerView:
    """What the chapter's explorer shows at one setting (see :func:`explorer_view`).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    true_cos, false_cos : ndarray
        Cosine similarities of the pairs of the final encoders' best
        assignment that are (are not) hidden true pairs.
    theta : float
        The price of the last round.
    precision, recall : float
        Of the detected pairs.
    errors : ndarray, shape (3,)
        ``||sin Theta||_F`` to ``span(U1)`` of pairs only, the algorithm and
        the oracle.
    """

    true_cos: np.ndarray
    false_cos: np.ndarray
    theta: float
    precision: float
    recall: float
    errors: np.ndarray


def explorer_view(*, snr: float, fraction: float, m: int, target_fdr: float, rng, n: int = 40,
                  d: int = 30, r: int = 6) -> ExplorerView:
    """One run of :func:`mmcl.fit_with_unpaired` with everything the explorer draws.

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    snr, fraction, m, target_fdr
        As in :func:`unpaired_problem` and :func:`mmcl.fit_with_unpaired`.
    rng : numpy.random.Generator or int
    n, d, r : int

    Returns
    -------
    ExplorerView

    Examples
    --------
    >>> from mmcl.experiments.unpaired import explorer_view
    >>> view = explorer_view(snr=16.0, fraction=1.0, m=30, target_fdr=0.1, rng=0, n=20, d=8, r=2)
    >>> view.errors.shape
    (3,)
    """
    p = unpaired_problem(snr=snr, fraction=fraction, n=n, m=int(m), d=d, r=r, rng=rng)
    X, Y, un = p.pairs.X, p.pairs.Y, p.unpaired
    fit = fit_with_unpaired(X, Y, un.Xu, un.Yu, r, target_fdr=target_fdr, rounds=5)
    unit = lambda E: E / np.linalg.norm(E, axis=1, keepdims=True)  # noqa: E731
    C = unit((un.Xu - un.Xu.mean(0)) @ fit.G1.T) @ unit((un.Yu - un.Yu.mean(0)) @ fit.G2.T).T
    values, rows, cols = best_match_values(C, return_indices=True)
    is_true = np.isin(rows * C.shape[1] + cols, un.truth[:, 0] * C.shape[1] + un.truth[:, 1])
    fits = (fit_svd(X, Y, r), fit, fit_with_pairs(X, Y, un.Xu, un.Yu, r, pairs=un.truth))
    precision, recall = detection_scores(fit.pairs, un.truth)
    return ExplorerView(true_cos=values[is_true], false_cos=values[~is_true], theta=fit.theta,
                        precision=precision, recall=recall,
                        errors=np.array([sin_theta(f.G1.T, p.model.U1) for f in fits]))
