"""Experiments of the chapter `robustness`: the model, and MMCL against unimodal learning.

Runners repeat an experiment over many seeds at once and return dataclasses
of NumPy arrays with the seed axis first (no plotting); the figures live in
``mmcl.figures.robustness``. Runners that fit one sample at a time (CLIP by
gradient descent, real data) are in :mod:`mmcl.experiments.robustness_fits`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

from .._checks import as_generator, as_int, as_probability
from .._threads import one_blas_thread
from ..baselines import masked_view_covariance_population, top_eigenvectors
from ..data import TwoModalityModel, make_model
from .sampling import RunningSums, sample_batch

__all__ = [
    "NOISE_TYPES",
    "robustness_model",
    "RobustnessSweep",
    "robustness_sweep",
    "crossover_eps",
    "first_order_constant",
]

#: Noise settings of the chapter (see :func:`robustness_model`).
NOISE_TYPES = ("isotropic", "heteroskedastic", "structured")


def robustness_model(
    noise: str = "structured",
    coherent: bool = True,
    *,
    d: int = 100,
    r: int = 5,
    rng=0,
    signal=4.0,
    heteroskedasticity: float = 2.0,
    nuisance_rank: int = 3,
    nuisance_strength: float = 3.0,
    support: int | None = None,
) -> TwoModalityModel:
    """The two-modality model of the chapter `robustness`.

    ``d1 = d2 = d`` and unit root-mean-square noise. ``noise`` picks the noise
    of modality 1 (modality 2 always has isotropic noise):

    * ``"isotropic"``: variance 1 on every coordinate;
    * ``"heteroskedastic"``: log-variances spread over
      ``[-heteroskedasticity, heteroskedasticity]`` (mean variance 1);
    * ``"structured"``: isotropic plus a rank-``nuisance_rank`` nuisance whose
      directions have standard deviation ``nuisance_strength``.

    ``coherent=True`` puts the columns of both ``U``'s on ``support``
    coordinates (default ``2 r``); otherwise they are Haar random.

    Parameters
    ----------
    noise : {"isotropic", "heteroskedastic", "structured"}
    coherent : bool
    d, r : int
    rng : numpy.random.Generator or int
        Draws the bases and the noise structure.
    signal : float or array of shape (r,)
        Latent variances.
    heteroskedasticity, nuisance_rank, nuisance_strength, support
        See :func:`mmcl.make_model`.

    Returns
    -------
    TwoModalityModel

    Examples
    --------
    >>> from mmcl.experiments import robustness_model
    >>> model = robustness_model("structured", coherent=True, d=20, r=2)
    >>> model.U1.shape, model.noise1.loading.shape, model.noise2.loading.shape
    ((20, 2), (20, 3), (20, 0))
    """
    if noise not in NOISE_TYPES:
        raise ValueError(f"noise must be one of {NOISE_TYPES}; got {noise!r}")
    if not isinstance(coherent, (bool, np.bool_)):
        raise TypeError(f"coherent must be True or False; got {coherent!r}")
    d = as_int(d, "d", low=1)
    r = as_int(r, "r", low=1, high=d)
    supp = (min(2 * r, d) if support is None else support) if coherent else d
    return make_model(
        d,
        d,
        r,
        rng=rng,
        signal=signal,
        noise_sd=1.0,
        heteroskedasticity=(heteroskedasticity if noise == "heteroskedastic" else 0.0, 0.0),
        nuisance_rank=(nuisance_rank if noise == "structured" else 0, 0),
        nuisance_strength=nuisance_strength,
        support=supp,
    )


@dataclass(frozen=True)
class RobustnessSweep:
    """Subspace errors of MMCL and the unimodal baselines (see :func:`robustness_sweep`).

    Errors are ``||sin Theta||_F`` to ``span(U1)``. Introduced in the chapter
    `robustness`.

    Attributes
    ----------
    n : ndarray of int, shape (N,)
    eps : ndarray, shape (E,)
    mmcl : ndarray, shape (seeds, N, E)
        Closed-form linear loss (PLS-SVD) on the pairs.
    unimodal_cl : ndarray, shape (seeds, N)
        Unimodal contrastive learning with random masking, modality 1 only.
    pca : ndarray, shape (seeds, N)
        PCA of modality 1.
    masked_error : ndarray, shape (seeds, N)
        Operator-norm distance of the sampled masked-view matrix to
        ``(Sigma - diag Sigma)/4``, relative to the latter's norm.
    unimodal_to_limit : ndarray, shape (seeds, N)
        ``||sin Theta||_F`` between the sampled and the population unimodal
        encoders.
    """

    n: np.ndarray
    eps: np.ndarray
    mmcl: np.ndarray
    unimodal_cl: np.ndarray
    pca: np.ndarray
    masked_error: np.ndarray
    unimodal_to_limit: np.ndarray


def _sin_theta_rows(B: np.ndarray, U: np.ndarray) -> np.ndarray:
    """||sin Theta||_F between orthonormal columns B (..., d, r) and span(U) (orthonormal U)."""
    return np.linalg.norm(B - U @ (U.T @ B), axis=(-2, -1))


def _top_eigenvectors(M: np.ndarray, r: int) -> np.ndarray:
    """Eigenvectors (..., d, r) of the symmetric stack M (..., d, d) for its r largest eigenvalues.

    LAPACK's ``dsyevr`` computes only the r wanted eigenvectors (MRRR), about
    half the work of a full ``eigh`` when r is much smaller than d; the
    reduction to tridiagonal form is the rest.
    """
    d = M.shape[-1]
    flat = M.reshape(-1, d, d)
    out = np.empty((flat.shape[0], d, r))
    for k, A in enumerate(flat):
        w, V, found, _, info = lapack.dsyevr(A, range="I", il=d - r + 1, iu=d, lower=1)
        if info != 0 or found != r:
            raise np.linalg.LinAlgError(f"dsyevr failed (info = {info})")
        out[k] = V[:, ::-1]
    return out.reshape(M.shape[:-1] + (r,))


def _errors(sums: RunningSums, pop: np.ndarray, Wpop: np.ndarray) -> tuple:
    """All errors of the sweep at the current sample size."""
    U1, r = sums.model.U1, sums.model.r
    S = sums.masked_S()
    W = _top_eigenvectors(S, r)
    P = _top_eigenvectors(sums.covariance(), r)
    gap = np.abs(np.linalg.eigvalsh(S - pop)).max(axis=-1) / np.abs(np.linalg.eigvalsh(pop)).max()
    return (
        _sin_theta_rows(_top_eigenvectors(sums.mmcl_gram(), r), U1),
        _sin_theta_rows(W, U1),
        _sin_theta_rows(P, U1),
        gap,
        _sin_theta_rows(W, Wpop),
    )


def robustness_sweep(
    model: TwoModalityModel,
    *,
    ns,
    epss,
    seeds: int = 10,
    rng,
    augmentations: int = 1,
    chunk: int = 4_000_000,
) -> RobustnessSweep:
    """Subspace errors of MMCL, unimodal CL and PCA over a grid of n and eps.

    All seeds are sampled at once, and the samples of size ``ns[0] < ns[1] <
    ...`` are prefixes of one sample per seed (:class:`~mmcl.experiments.sampling.RunningSums`).
    MMCL is the closed-form minimiser of the linear loss, as
    :func:`mmcl.fit_svd`; PCA is :func:`mmcl.pca`; unimodal CL is the linear
    contrastive loss between two masked views, as
    :func:`mmcl.unimodal_contrastive` with ``center=False`` (the model has
    mean zero). The unimodal methods see modality 1 only, which mismatch
    does not change. The samples at different eps share their draws
    (:func:`~mmcl.experiments.sampling.sample_batch`). The noise of modality
    2 is drawn through the only statistic that uses it, ``[X 1]^T Xi2``,
    from its exact Gaussian law given ``X``; MMCL's top-r left singular
    vectors are those of ``S S^T``, built for every eps from one product per
    seed. Introduced in the chapter `robustness`.

    Parameters
    ----------
    model : TwoModalityModel
    ns : sequence of int
        Increasing sample sizes.
    epss : sequence of float in [0, 1]
        Mismatch probabilities.
    seeds : int
        Independent samples.
    rng : numpy.random.Generator or int
    augmentations : int
        Masks per sample for unimodal CL.
    chunk : int
        Rows are drawn in blocks of at most this many numbers per array.

    Returns
    -------
    RobustnessSweep

    Examples
    --------
    >>> from mmcl.experiments import robustness_model, robustness_sweep
    >>> out = robustness_sweep(robustness_model(d=10, r=2), ns=[100, 400], epss=[0.0, 0.5],
    ...                        seeds=3, rng=0)
    >>> out.mmcl.shape, out.pca.shape
    ((3, 2, 2), (3, 2))
    """
    if not isinstance(model, TwoModalityModel):
        raise TypeError(f"model must be a TwoModalityModel; got {type(model).__name__}")
    ns = np.array([as_int(n, "ns", low=2) for n in np.atleast_1d(ns)])
    if np.any(np.diff(ns) <= 0):
        raise ValueError(f"ns must be strictly increasing; got {ns.tolist()}")
    epss = np.array([as_probability(float(e), "epss") for e in np.atleast_1d(epss)])
    seeds = as_int(seeds, "seeds", low=1)
    augmentations = as_int(augmentations, "augmentations", low=1)
    chunk = as_int(chunk, "chunk", low=1)
    rng = as_generator(rng)
    pop = masked_view_covariance_population(model.covariance(1))
    Wpop = top_eigenvectors(pop, model.r).T
    sums = RunningSums(model, seeds, np.sort(epss), augmentations)
    block = max(1, chunk // (seeds * max(model.U1.shape[0], model.U2.shape[0])))
    rows = []
    with one_blas_thread():
        for n in ns:
            while sums.n < n:
                size = min(block, n - sums.n)
                sums.add(sample_batch(model, seeds, size, rng=rng, noise2=False), rng)
            rows.append(_errors(sums, pop, Wpop))
    mmcl, uni, pc, gap, to_limit = (np.stack(col, axis=1) for col in zip(*rows))
    order = np.argsort(np.argsort(epss))  # results in the order epss were given
    return RobustnessSweep(
        n=ns,
        eps=epss,
        mmcl=mmcl[:, :, order],
        unimodal_cl=uni,
        pca=pc,
        masked_error=gap,
        unimodal_to_limit=to_limit,
    )


def first_order_constant(model: TwoModalityModel) -> float:
    """First-order constant ``C`` of MMCL's error, ``sin Theta ~ C / ((1 - eps) sqrt(n))``.

    ``C^2 = tr(P_perp Sigma_1) * sum_k (lambda_k + u2_k^T Sigma_2 u2_k) / lambda_k^2``
    with ``P_perp = I - U1 U1^T``: the expected squared norm of the first-order
    perturbation of the top-r left singular subspace of ``S``, for Gaussian
    data. It holds in the perturbative regime (error well below its maximum
    ``sqrt(r)``). Introduced in the chapter `robustness`.

    Parameters
    ----------
    model : TwoModalityModel

    Returns
    -------
    float

    Examples
    --------
    >>> import mmcl
    >>> from mmcl.experiments import first_order_constant
    >>> model = mmcl.make_model(10, 10, 1, rng=0, signal=1.0, noise_sd=1.0)
    >>> round(first_order_constant(model), 6)    # sqrt(9 * (1 + 1) / 1)
    4.242641
    """
    if not isinstance(model, TwoModalityModel):
        raise TypeError(f"model must be a TwoModalityModel; got {type(model).__name__}")
    P_perp = np.eye(model.U1.shape[0]) - model.U1 @ model.U1.T
    noise2 = np.diag(model.U2.T @ model.noise2.covariance() @ model.U2)
    return float(
        np.sqrt(
            np.trace(P_perp @ model.noise1.covariance())
            * np.sum((model.lam + noise2) / model.lam**2)
        )
    )


def crossover_eps(epss, mmcl_error, baseline_error) -> float:
    """The mismatch level at which MMCL stops beating a baseline.

    Linear interpolation of the first sign change of
    ``mmcl_error - baseline_error`` along the eps grid. Returns ``0.0`` when
    the baseline is at least as good already at the first eps, and ``nan``
    when MMCL is better on the whole grid. Introduced in the chapter
    `robustness`.

    Parameters
    ----------
    epss : array, shape (E,)
        Increasing mismatch levels.
    mmcl_error : array, shape (E,)
        Mean MMCL error at each eps.
    baseline_error : float or array of shape (E,)

    Returns
    -------
    float

    Examples
    --------
    >>> from mmcl.experiments import crossover_eps
    >>> crossover_eps([0.0, 0.5, 1.0], [0.2, 0.6, 2.0], 1.0)
    0.6428571428571429
    """
    epss, mmcl_error = np.asarray(epss, dtype=float), np.asarray(mmcl_error, dtype=float)
    if epss.ndim != 1 or mmcl_error.shape != epss.shape:
        raise ValueError(
            f"mmcl_error must have the shape of epss {epss.shape}; got {mmcl_error.shape}"
        )
    gap = mmcl_error - np.broadcast_to(baseline_error, epss.shape)
    if gap[0] >= 0:
        return 0.0
    above = np.flatnonzero(gap >= 0)
    if above.size == 0:
        return float("nan")
    j = above[0]
    return float(epss[j - 1] + (epss[j] - epss[j - 1]) * (-gap[j - 1]) / (gap[j] - gap[j - 1]))
