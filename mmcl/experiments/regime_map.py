"""The regime map of the chapter `unpaired`: every route side by side, by noise, SNR and m.

For each noise type (isotropic, or structured: a rank-3 nuisance per modality), signal-to-noise
ratio and number ``m`` of unpaired samples per modality, each seed draws one problem and every
route fits it:

* ``pairs only`` -- :func:`mmcl.fit_svd` on the ``n`` pairs;
* ``PCA on all`` -- :func:`mmcl.pca` on every sample of each modality (pairs and unpaired);
* ``covariance only`` -- the whitened family without matching: spiked subspaces and whitening
  from all samples, CCA on the pairs (:func:`mmcl.fit_with_pairs` with no pairs);
* ``raw matching`` -- :func:`mmcl.fit_with_unpaired` with ``whiten=False`` (the plain
  algorithm: cosine scores, PLS refits);
* ``new default`` -- :func:`mmcl.fit_with_unpaired` (whitened family);
* ``oracle raw``, ``oracle whitened`` -- :func:`mmcl.fit_with_pairs` with the hidden true pairs,
  per family.

Yardsticks: the loading error :func:`mmcl.loading_sin_theta` (population covariance) and
:func:`mmcl.unexplained_latent_variance` (population ``1 - R^2`` of ``z`` from ``G1 x``), both
lower is better; detection precision, recall and false-discovery proportion of the two
matching routes. Runners return dataclasses, no plotting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_int, as_positive, as_rank, as_target_fdr
from .._threads import one_blas_thread
from ..baselines import pca
from ..metrics import detection_scores
from ..solvers import fit_svd
from ..unpaired import fit_with_pairs, fit_with_unpaired
from ..yardsticks import loading_sin_theta, unexplained_latent_variance
from ._seeds import seed_list
from .unpaired import NOISES, UnpairedProblem, unpaired_problem

__all__ = [
    "MAP_METHODS",
    "MATCHING_METHODS",
    "fit_routes",
    "RegimeMap",
    "regime_map",
    "ExplorerView",
    "explorer_view",
]

#: Routes of the map, in the order of the method axis.
MAP_METHODS = (
    "pairs only",
    "PCA on all",
    "covariance only",
    "raw matching",
    "new default",
    "oracle raw",
    "oracle whitened",
)
#: The routes that detect pairs (their index in ``MAP_METHODS``: 3 and 4).
MATCHING_METHODS = ("raw matching", "new default")


def fit_routes(problem: UnpairedProblem, r: int, *, target_fdr: float = 0.1):
    """Every route of :data:`MAP_METHODS` on one problem.

    Introduced in the chapter `unpaired`.

    Returns
    -------
    encoders : list of ndarray, shape (r, d1) each
        ``G1`` of each route, in the order of :data:`MAP_METHODS`.
    detected : list of ndarray of int, shape (k, 2) each
        Pairs detected by the two routes of :data:`MATCHING_METHODS`.
    spikes : int
        Spike count ``k1`` of modality 1 in the new default.

    Examples
    --------
    >>> from mmcl.experiments.regime_map import fit_routes
    >>> from mmcl.experiments.unpaired import unpaired_problem
    >>> p = unpaired_problem(snr=8.0, n=20, m=40, d=8, r=2, fraction=1.0, rng=0)
    >>> encoders, detected, spikes = fit_routes(p, 2)
    >>> len(encoders), encoders[0].shape, len(detected)
    (7, (2, 8), 2)
    """
    if not isinstance(problem, UnpairedProblem):
        raise TypeError(
            "problem must be an UnpairedProblem (see unpaired_problem); "
            f"got {type(problem).__name__}"
        )
    r = as_rank(r, problem.pairs.X.shape[1], problem.pairs.Y.shape[1])
    with one_blas_thread():  # many small eigendecompositions: threads cost more than they save
        return _fit_routes(problem, r, as_target_fdr(target_fdr))


def _fit_routes(problem, r, target_fdr):
    X, Y, un = problem.pairs.X, problem.pairs.Y, problem.unpaired
    data = (X, Y, un.Xu, un.Yu, r)
    empty = np.empty((0, 2), np.int64)
    raw = fit_with_unpaired(*data, whiten=False, target_fdr=target_fdr)
    new = fit_with_unpaired(*data, target_fdr=target_fdr)
    encoders = [
        fit_svd(X, Y, r).G1,
        pca(np.vstack([X, un.Xu]), r),
        fit_with_pairs(*data, pairs=empty, whiten=True).G1,
        raw.G1,
        new.G1,
        fit_with_pairs(*data, pairs=un.truth).G1,
        fit_with_pairs(*data, pairs=un.truth, whiten=True).G1,
    ]
    return encoders, [raw.pairs, new.pairs], new.spikes[0]


@dataclass(frozen=True)
class RegimeMap:
    """Every route by noise type, SNR and m (see :func:`regime_map`).

    Introduced in the chapter `unpaired`. Axes: noise (``len(NOISES)``), SNR (S), m (M), seed,
    method (``len(MAP_METHODS)``) or matching route (2).

    Attributes
    ----------
    noises : tuple of str
    snrs : ndarray, shape (S,)
    ms : ndarray of int, shape (M,)
    methods : tuple of str
    loading : ndarray, shape (2, S, M, seeds, 7)
        :func:`mmcl.loading_sin_theta` of ``G1`` (population covariance).
    unexplained : ndarray, shape (2, S, M, seeds, 7)
        :func:`mmcl.unexplained_latent_variance` of ``G1``.
    precision, recall, fdp : ndarray, shape (2, S, M, seeds, 2)
        Of the pairs detected by ``raw matching`` and ``new default`` (``fdp`` is 0 when
        nothing is detected).
    detected : ndarray of int, shape (2, S, M, seeds, 2)
        Numbers of detected pairs.
    spikes : ndarray of int, shape (2, S, M, seeds)
        Spike count ``k1`` of modality 1 in the new default.
    """

    noises: tuple
    snrs: np.ndarray
    ms: np.ndarray
    methods: tuple
    loading: np.ndarray
    unexplained: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    fdp: np.ndarray
    detected: np.ndarray
    spikes: np.ndarray

    def cell(self, noise: str, snr: float, m: int):
        """Index ``(noise, snr, m)`` of a cell of the map."""
        return (
            self.noises.index(noise),
            int(np.flatnonzero(self.snrs == snr)[0]),
            int(np.flatnonzero(self.ms == m)[0]),
        )


def regime_map(
    *,
    snrs,
    ms,
    seeds: int = 3,
    rng,
    noises=NOISES,
    n: int = 40,
    d: int = 40,
    r: int = 10,
    fraction: float = 0.5,
    target_fdr: float = 0.1,
) -> RegimeMap:
    """Run every route of :data:`MAP_METHODS` over noise type, SNR and m.

    Each seed's problem of a cell is drawn from one integer per seed (the same model and pairs
    for every m of a noise type and SNR). Introduced in the chapter `unpaired`.

    Parameters
    ----------
    snrs : sequence of float > 0
    ms : sequence of int
    seeds : int
    rng : numpy.random.Generator or int
    noises : sequence of "isotropic", "structured"
    n, d, r : int
        Pairs, dimension of each modality, representation dimension.
    fraction : float in [0, 1]
        Fraction of the unpaired samples with a partner.
    target_fdr : float in (0, 1)

    Returns
    -------
    RegimeMap

    Examples
    --------
    >>> from mmcl.experiments.regime_map import regime_map
    >>> out = regime_map(snrs=[8.0], ms=[30], seeds=2, rng=0, n=20, d=8, r=2)
    >>> out.loading.shape, out.recall.shape
    ((2, 1, 1, 2, 7), (2, 1, 1, 2, 2))
    """
    snrs = np.array([as_positive(float(s), "snrs") for s in np.atleast_1d(snrs)])
    ms = np.array([as_int(m, "ms", low=1) for m in np.atleast_1d(ms)])
    noises = tuple(noises)
    bad = [x for x in noises if x not in NOISES]
    if bad or not noises:
        raise ValueError(f"noises must be a non-empty subset of {NOISES}; got {noises}")
    seeds, q = as_int(seeds, "seeds", low=1), as_target_fdr(target_fdr)
    shape = (len(noises), snrs.size, ms.size, seeds)
    loading, unexplained = np.zeros(shape + (7,)), np.zeros(shape + (7,))
    scores = np.zeros(shape + (2, 4))
    spikes = np.zeros(shape, dtype=int)
    # Small products throughout (sampling, fits, yardsticks): threads cost more than they save.
    with one_blas_thread():
        for s, seed in enumerate(seed_list(rng, seeds)):
            for a, noise in enumerate(noises):
                for b, snr in enumerate(snrs):
                    for c, m in enumerate(ms):
                        p = unpaired_problem(
                            noise=noise, snr=snr, n=n, m=m, d=d, r=r, fraction=fraction, rng=seed
                        )
                        encoders, detected, spikes[a, b, c, s] = fit_routes(p, r, target_fdr=q)
                        cov = p.model.covariance(1)
                        for k, G1 in enumerate(encoders):
                            loading[a, b, c, s, k] = loading_sin_theta(G1, p.model.U1, cov)
                            unexplained[a, b, c, s, k] = unexplained_latent_variance(G1, p.model)
                        for k, P in enumerate(detected):
                            prec, rec = detection_scores(P, p.unpaired.truth)
                            fdp = 1.0 - prec if len(P) else 0.0
                            scores[a, b, c, s, k] = prec, rec, fdp, len(P)
    return RegimeMap(
        noises=noises,
        snrs=snrs,
        ms=ms,
        methods=MAP_METHODS,
        loading=loading,
        unexplained=unexplained,
        precision=scores[..., 0],
        recall=scores[..., 1],
        fdp=scores[..., 2],
        detected=scores[..., 3].astype(int),
        spikes=spikes,
    )


@dataclass(frozen=True)
class ExplorerView:
    """What the chapter's explorer shows at one setting (see :func:`explorer_view`).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    loading, unexplained : ndarray, shape (7,)
        The two yardsticks of every route of :data:`MAP_METHODS`.
    precision, recall : ndarray, shape (2,)
        Of the two routes of :data:`MATCHING_METHODS`.
    spikes : int
        Spike count of modality 1.
    """

    loading: np.ndarray
    unexplained: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    spikes: int


def explorer_view(
    *, noise: str, snr: float, m: int, target_fdr: float, rng, n: int = 40, d: int = 30,
    r: int = 6, fraction: float = 0.5,
) -> ExplorerView:  # fmt: skip
    """Every route of the map on one problem, for the chapter's explorer.

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    noise, snr, m, n, d, r, fraction
        As in :func:`~mmcl.experiments.unpaired.unpaired_problem`.
    target_fdr : float in (0, 1)
    rng : numpy.random.Generator or int

    Returns
    -------
    ExplorerView

    Examples
    --------
    >>> from mmcl.experiments.regime_map import explorer_view
    >>> view = explorer_view(noise="isotropic", snr=16.0, m=30, target_fdr=0.1, rng=0, n=20,
    ...                      d=8, r=2)
    >>> view.loading.shape, view.recall.shape
    ((7,), (2,))
    """
    p = unpaired_problem(noise=noise, snr=snr, n=n, m=m, d=d, r=r, fraction=fraction, rng=rng)
    encoders, detected, spikes = fit_routes(p, r, target_fdr=as_target_fdr(target_fdr))
    cov = p.model.covariance(1)
    scores = np.array([detection_scores(P, p.unpaired.truth) for P in detected])
    return ExplorerView(
        loading=np.array([loading_sin_theta(G, p.model.U1, cov) for G in encoders]),
        unexplained=np.array([unexplained_latent_variance(G, p.model) for G in encoders]),
        precision=scores[:, 0],
        recall=scores[:, 1],
        spikes=int(spikes),
    )
