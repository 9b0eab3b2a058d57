"""Experiments of the chapter `robustness`: mismatch, unimodal baselines, CLIP, real data.

Runners repeat an experiment over many seeds at once and return dataclasses
of NumPy arrays with the seed axis first (no plotting); the figures live in
:mod:`mmcl.figures.robustness`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_generator, as_int, as_positive, as_probability
from .._threads import one_blas_thread
from ..baselines import masked_view_covariance_population, pca, top_eigenvectors, unimodal_contrastive
from ..data import TwoModalityModel, make_model, mismatch
from ..datasets import load_digit_halves
from ..losses import clip_loss
from ..metrics import probe_accuracy, retrieval_accuracy, sin_theta
from ..solvers import fit_gd, fit_svd
from .sampling import RunningSums, sample_batch

__all__ = [
    "NOISE_TYPES", "robustness_model", "RobustnessSweep", "robustness_sweep", "crossover_eps",
    "first_order_constant", "ClipVsLinear", "clip_vs_linear", "DigitsSweep", "digits_sweep",
]

#: Noise settings of the chapter (see :func:`robustness_model`).
NOISE_TYPES = ("isotropic", "heteroskedastic", "structured")


def robustness_model(noise: str = "structured", coherent: bool = True, *, d: int = 100, r: int = 5,
                     rng=0, signal=4.0, heteroskedasticity: float = 2.0, nuisance_rank: int = 3,
                     nuisance_strength: float = 3.0, support: int | None = None) -> TwoModalityModel:
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
    return make_model(d, d, r, rng=rng, signal=signal, noise_sd=1.0,
                      heteroskedasticity=(heteroskedasticity if noise == "heteroskedastic" else 0.0, 0.0),
                      nuisance_rank=(nuisance_rank if noise == "structured" else 0, 0),
                      nuisance_strength=nuisance_strength, support=supp)


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


def _top_left_singular(S: np.ndarray, r: int) -> np.ndarray:
    """Top-r left singular vectors (..., d1, r) of S, from the eigenvectors of S S^T."""
    return np.linalg.eigh(S @ np.swapaxes(S, -1, -2))[1][..., ::-1][..., :r]


def _errors(sums: RunningSums, pop: np.ndarray, Wpop: np.ndarray) -> tuple:
    """All errors of the sweep at the current sample size."""
    U1, r = sums.model.U1, sums.model.r
    S = sums.masked_S()
    W = np.swapaxes(top_eigenvectors(S, r), 1, 2)
    P = np.swapaxes(top_eigenvectors(sums.covariance(), r), 1, 2)
    gap = np.abs(np.linalg.eigvalsh(S - pop)).max(axis=-1) / np.abs(np.linalg.eigvalsh(pop)).max()
    return (_sin_theta_rows(_top_left_singular(sums.mmcl_S(), r), U1), _sin_theta_rows(W, U1),
            _sin_theta_rows(P, U1), gap, _sin_theta_rows(W, Wpop))


def robustness_sweep(model: TwoModalityModel, *, ns, epss, seeds: int = 10, rng,
                     augmentations: int = 1, chunk: int = 4_000_000) -> RobustnessSweep:
    """Subspace errors of MMCL, unimodal CL and PCA over a grid of n and eps.

    All seeds are sampled at once, and the samples of size ``ns[0] < ns[1] <
    ...`` are prefixes of one sample per seed (:class:`~mmcl.experiments.sampling.RunningSums`).
    MMCL is the closed-form minimiser of the linear loss, as
    :func:`mmcl.fit_svd`; PCA is :func:`mmcl.pca`; unimodal CL is the linear
    contrastive loss between two masked views, as
    :func:`mmcl.unimodal_contrastive` with ``center=False`` (the model has
    mean zero). The unimodal methods see modality 1 only, which mismatch
    does not change. The samples at different eps share their draws
    (:func:`~mmcl.experiments.sampling.sample_batch`). Introduced in the
    chapter `robustness`.

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
                sums.add(sample_batch(model, seeds, min(block, n - sums.n), rng=rng), rng)
            rows.append(_errors(sums, pop, Wpop))
    mmcl, uni, pc, gap, to_limit = (np.stack(col, axis=1) for col in zip(*rows))
    order = np.argsort(np.argsort(epss))       # results in the order epss were given
    return RobustnessSweep(n=ns, eps=epss, mmcl=mmcl[:, :, order], unimodal_cl=uni, pca=pc,
                           masked_error=gap, unimodal_to_limit=to_limit)


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
    return float(np.sqrt(np.trace(P_perp @ model.noise1.covariance())
                         * np.sum((model.lam + noise2) / model.lam**2)))


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
        raise ValueError(f"mmcl_error must have the shape of epss {epss.shape}; got {mmcl_error.shape}")
    gap = mmcl_error - np.broadcast_to(baseline_error, epss.shape)
    if gap[0] >= 0:
        return 0.0
    above = np.flatnonzero(gap >= 0)
    if above.size == 0:
        return float("nan")
    j = above[0]
    return float(epss[j - 1] + (epss[j] - epss[j - 1]) * (-gap[j - 1]) / (gap[j] - gap[j - 1]))


@dataclass(frozen=True)
class ClipVsLinear:
    """CLIP by gradient descent against the closed-form linear loss (see :func:`clip_vs_linear`).

    Introduced in the chapter `robustness`.

    Attributes
    ----------
    steps : ndarray of int, shape (K,)
        Recorded step numbers.
    eps : ndarray, shape (E,)
    tau : ndarray, shape (T,)
    linear : ndarray, shape (seeds, E)
        ``||sin Theta||_F`` to ``span(U1)`` of the closed-form linear loss.
    clip : ndarray, shape (seeds, E, T, K)
        The same for CLIP along training.
    """

    steps: np.ndarray
    eps: np.ndarray
    tau: np.ndarray
    linear: np.ndarray
    clip: np.ndarray


def clip_vs_linear(model: TwoModalityModel, *, n: int, epss, taus=(1.0,), rho: float = 1.0,
                   steps: int = 150, lr: float = 0.05, record_every: int = 10, seeds: int = 10,
                   rng, init_scale: float = 0.1) -> ClipVsLinear:
    """Subspace error of CLIP trained by gradient descent against the closed-form linear solution.

    For each seed and eps one centred sample of n pairs is drawn; the linear
    loss is solved in closed form (:func:`mmcl.fit_svd`) and CLIP with each
    temperature in ``taus`` is trained by :func:`mmcl.fit_gd` from the same
    small random start, recording ``||sin Theta||_F`` to ``span(U1)`` every
    ``record_every`` steps. Introduced in the chapter `robustness`.

    Parameters
    ----------
    model : TwoModalityModel
    n : int
        Pairs per sample.
    epss : sequence of float in [0, 1]
    taus : sequence of float > 0
        CLIP temperatures.
    rho : float > 0
        Regulariser weight of CLIP.
    steps, lr, record_every, init_scale
        Passed to :func:`mmcl.fit_gd`.
    seeds : int
    rng : numpy.random.Generator or int

    Returns
    -------
    ClipVsLinear

    Examples
    --------
    >>> from mmcl.experiments import clip_vs_linear, robustness_model
    >>> out = clip_vs_linear(robustness_model(d=6, r=2), n=40, epss=[0.0], steps=4,
    ...                      record_every=2, seeds=2, rng=0)
    >>> out.clip.shape, out.linear.shape
    ((2, 1, 1, 3), (2, 1))
    """
    if not isinstance(model, TwoModalityModel):
        raise TypeError(f"model must be a TwoModalityModel; got {type(model).__name__}")
    n = as_int(n, "n", low=2)
    epss = [as_probability(float(e), "epss") for e in np.atleast_1d(epss)]
    taus = [as_positive(float(t), "taus") for t in np.atleast_1d(taus)]
    seeds = as_int(seeds, "seeds", low=1)
    rng = as_generator(rng)
    record = np.arange(0, as_int(steps, "steps", low=0) + 1, as_int(record_every, "record_every", low=1))
    linear = np.empty((seeds, len(epss)))
    clip = np.empty((seeds, len(epss), len(taus), record.size))
    with one_blas_thread():
        for s in range(seeds):
            _clip_seed(model, n, epss, taus, rho, steps, lr, record_every, init_scale, rng,
                       linear[s], clip[s])
    return ClipVsLinear(steps=record, eps=np.array(epss), tau=np.array(taus), linear=linear, clip=clip)


def _clip_seed(model, n, epss, taus, rho, steps, lr, record_every, init_scale, rng, linear, clip):
    """One seed of :func:`clip_vs_linear`; fills ``linear`` (E,) and ``clip`` (E, T, K) in place."""
    for j, eps in enumerate(epss):
        sample = model.sample(n, eps=eps, rng=rng)
        X, Y = sample.X - sample.X.mean(axis=0), sample.Y - sample.Y.mean(axis=0)
        linear[j] = sin_theta(fit_svd(X, Y, model.r).G1.T, model.U1)
        start = rng.integers(2**32)
        for t, tau in enumerate(taus):
            fit = fit_gd(X, Y, model.r, clip_loss(tau=tau, rho=rho), steps=steps, lr=lr, rng=start,
                         init_scale=init_scale, record_every=record_every)
            clip[j, t] = [sin_theta(G1.T, model.U1) for _, G1, _ in fit.snapshots]


@dataclass(frozen=True)
class DigitsSweep:
    """Probe and retrieval accuracy on the digit halves (see :func:`digits_sweep`).

    Introduced in the chapter `robustness`.

    Attributes
    ----------
    eps : ndarray, shape (E,)
    probe_mmcl : ndarray, shape (seeds, E)
        Linear-probe accuracy on MMCL's embedding of held-out left halves.
    probe_unimodal_cl, probe_pca : ndarray, shape (seeds,)
        The same for the unimodal encoders (unaffected by mismatch).
    probe_raw : ndarray, shape (seeds,)
        The probe on the 32 raw pixels.
    retrieval : ndarray, shape (seeds, E)
        Top-1 retrieval accuracy of the right half from the left half (MMCL).
    chance : float
        ``1 / test_size``.
    """

    eps: np.ndarray
    probe_mmcl: np.ndarray
    probe_unimodal_cl: np.ndarray
    probe_pca: np.ndarray
    probe_raw: np.ndarray
    retrieval: np.ndarray
    chance: float


def digits_sweep(*, epss, r: int = 10, seeds: int = 10, rng, test_size: int = 500,
                 ridge: float = 1e-3) -> DigitsSweep:
    """Linear-probe and retrieval accuracy on the digit halves as pairs are broken.

    For each seed the 1797 digits are split at random into a test set of
    ``test_size`` and a training set; a fraction eps of the training pairs is
    mismatched (:func:`mmcl.mismatch`). MMCL (closed-form linear loss) learns
    ``G1, G2`` from the training pairs; unimodal CL and PCA learn an encoder
    from the left halves alone (unchanged by mismatch, so fitted once per
    seed). A ridge probe is trained on the embedded training left halves and
    tested on the embedded test left halves; retrieval is top-1 accuracy of
    finding each test right half from its left half (MMCL only: the unimodal
    encoders embed the two halves in unrelated coordinates). Introduced in the
    chapter `robustness`.

    Parameters
    ----------
    epss : sequence of float in [0, 1]
    r : int
        Representation dimension.
    seeds : int
    rng : numpy.random.Generator or int
    test_size : int
    ridge : float
        Ridge penalty of the probe (:func:`mmcl.probe_accuracy`).

    Returns
    -------
    DigitsSweep

    Examples
    --------
    >>> from mmcl.experiments import digits_sweep
    >>> out = digits_sweep(epss=[0.0, 0.5], r=5, seeds=2, rng=0)
    >>> out.probe_mmcl.shape, out.retrieval.shape
    ((2, 2), (2, 2))
    """
    epss = [as_probability(float(e), "epss") for e in np.atleast_1d(epss)]
    seeds = as_int(seeds, "seeds", low=1)
    rng = as_generator(rng)
    X, Y, labels = load_digit_halves()
    test_size = as_int(test_size, "test_size", low=1, high=X.shape[0] - 2)
    probe, retrieval = np.empty((seeds, len(epss))), np.empty((seeds, len(epss)))
    raw, uni, pc = np.empty(seeds), np.empty(seeds), np.empty(seeds)
    with one_blas_thread():
        for s in range(seeds):
            order = rng.permutation(X.shape[0])
            te, tr = order[:test_size], order[test_size:]

            def acc(G):
                return probe_accuracy(X[tr] @ G.T, labels[tr], X[te] @ G.T, labels[te], ridge=ridge)

            raw[s] = probe_accuracy(X[tr], labels[tr], X[te], labels[te], ridge=ridge)
            uni[s] = acc(unimodal_contrastive(X[tr], r, rng=rng))
            pc[s] = acc(pca(X[tr], r))
            for j, eps in enumerate(epss):
                Ytr, _ = mismatch(Y[tr], eps, rng=rng)
                fit = fit_svd(X[tr], Ytr, r)
                probe[s, j] = acc(fit.G1)
                # Cosine similarity needs embeddings of centred data (training means).
                retrieval[s, j] = retrieval_accuracy((X[te] - X[tr].mean(axis=0)) @ fit.G1.T,
                                                     (Y[te] - Ytr.mean(axis=0)) @ fit.G2.T)
    return DigitsSweep(eps=np.array(epss), probe_mmcl=probe, probe_unimodal_cl=uni, probe_pca=pc,
                       probe_raw=raw, retrieval=retrieval, chance=1.0 / test_size)


