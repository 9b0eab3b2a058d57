"""What unpaired data buy, in the chapter `unpaired`: subspace errors against m, and the
explorer's view at one setting. Runners return dataclasses (no plotting)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_int, as_probability
from ..matching import best_match_values
from ..metrics import detection_scores, sin_theta
from ..solvers import fit_svd
from ..unpaired import fit_with_pairs, fit_with_unpaired
from ._seeds import seed_list
from .unpaired import unpaired_problem

__all__ = ["UnpairedGain", "unpaired_gain", "ExplorerView", "explorer_view"]


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


def unpaired_gain(
    *,
    ms,
    seeds: int = 10,
    rng,
    n: int = 30,
    snr: float = 16.0,
    d: int = 40,
    r: int = 10,
    fraction: float = 1.0,
    target_fdr: float = 0.1,
) -> UnpairedGain:
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
    >>> from mmcl.experiments.unpaired_gain import unpaired_gain
    >>> out = unpaired_gain(ms=[10, 20], seeds=2, rng=0, n=10, d=6, r=2)
    >>> out.algorithm.shape
    (2, 2)
    """
    ms = np.array([as_int(m, "ms", low=1) for m in np.atleast_1d(ms)])
    fraction = as_probability(fraction, "fraction")
    seeds = as_int(seeds, "seeds", low=1)
    keys = ("pairs_only", "algorithm", "oracle", "precision", "recall")
    out = {k: np.zeros((seeds, ms.size)) for k in keys}
    for s, seed in enumerate(seed_list(rng, seeds)):
        for k, m in enumerate(ms):
            p = unpaired_problem(snr=snr, fraction=fraction, n=n, m=m, d=d, r=r, rng=seed)
            X, Y, un = p.pairs.X, p.pairs.Y, p.unpaired
            fits = (
                fit_svd(X, Y, r),
                fit_with_unpaired(X, Y, un.Xu, un.Yu, r, target_fdr=target_fdr),
                fit_with_pairs(X, Y, un.Xu, un.Yu, r, pairs=un.truth),
            )
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


def explorer_view(
    *,
    snr: float,
    fraction: float,
    m: int,
    target_fdr: float,
    rng,
    n: int = 40,
    d: int = 30,
    r: int = 6,
) -> ExplorerView:
    """One run of :func:`mmcl.fit_with_unpaired` with everything the explorer draws.

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    snr, fraction, m, target_fdr
        As in :func:`~mmcl.experiments.unpaired.unpaired_problem` and
        :func:`mmcl.fit_with_unpaired`.
    rng : numpy.random.Generator or int
    n, d, r : int

    Returns
    -------
    ExplorerView

    Examples
    --------
    >>> from mmcl.experiments.unpaired_gain import explorer_view
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
    return ExplorerView(
        true_cos=values[is_true],
        false_cos=values[~is_true],
        theta=fit.theta,
        precision=precision,
        recall=recall,
        errors=np.array([sin_theta(f.G1.T, p.model.U1) for f in fits]),
    )
