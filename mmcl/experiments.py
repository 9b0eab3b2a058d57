"""Experiment runners of the chapters: sweeps that return arrays (no plotting).

Each runner repeats an experiment over many seeds at once and returns NumPy
arrays with the seed axis first, so the chapters can draw means and error
bands and assert on them. Figures live in :mod:`mmcl.plots`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ._checks import as_generator, as_int, as_pair, as_positive, as_probability, as_rank
from .baselines import _masked_S, _top_eigenvectors, masked_view_covariance_population
from .data import TwoModalityModel, load_digit_halves, make_model, mismatch
from .metrics import orthonormal_basis, probe_accuracy, retrieval_accuracy, sin_theta
from .losses import clip_loss
from .solvers import fit_gd, fit_svd, polish, spectral_selection

__all__ = [
    "NOISE_TYPES",
    "robustness_model",
    "sample_batch",
    "robustness_sweep",
    "crossover_eps",
    "clip_vs_linear",
    "digits_sweep",
    "SelectionGrid",
    "selection_grid",
]

# --- Robustness to mismatched pairs ---

#: Noise settings of the robustness chapter (see :func:`robustness_model`).
NOISE_TYPES = ("isotropic", "heteroskedastic", "structured")

_METHODS = ("MMCL", "unimodal CL", "PCA")


def _one_blas_thread():
    """Run with one BLAS thread: the sweeps handle many small matrices, where
    threads only add overhead (tenfold on a busy machine)."""
    return threadpool_limits(limits=1, user_api="blas")


def robustness_model(noise: str = "structured", coherent: bool = True, *, d: int = 100, r: int = 5,
                     rng=0, signal=4.0, heteroskedasticity: float = 2.0, nuisance_rank: int = 3,
                     nuisance_strength: float = 3.0, support: int | None = None) -> TwoModalityModel:
    """The two-modality model of the chapter *Robustness to mismatched pairs*.

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


def _noise_batch(noise, shape, rng):
    out = rng.standard_normal(shape + (noise.dim,)) * np.sqrt(noise.variances)
    if noise.loading.shape[1]:
        out += rng.standard_normal(shape + (noise.loading.shape[1],)) @ noise.loading.T
    return out


def sample_batch(model: TwoModalityModel, seeds: int, n: int, rng):
    """Draw ``seeds`` independent samples of size ``n`` at once, for every eps.

    Returns the pieces from which the sample at any mismatch level ``eps`` is
    assembled with common random numbers: pair i is wrongly matched when
    ``u[s, i] < eps``, and then its y uses the independent latent ``Zp``
    instead of ``Z``: ``Y = where(u >= eps, Z, Zp) @ U2^T + Xi2``. So the
    samples at different eps differ only in which pairs are broken, and the
    broken pairs at a smaller eps stay broken at a larger one. Introduced in
    the chapter *Robustness to mismatched pairs*.

    Parameters
    ----------
    model : TwoModalityModel
    seeds : int >= 1
    n : int >= 2
    rng : numpy.random.Generator or int

    Returns
    -------
    dict
        ``X`` (seeds, n, d1), ``Z`` and ``Zp`` (seeds, n, r), ``u`` (seeds, n),
        ``Xi2`` (seeds, n, d2).

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.experiments import robustness_model, sample_batch
    >>> b = sample_batch(robustness_model(d=10, r=2), 3, 50, np.random.default_rng(0))
    >>> b["X"].shape, b["Z"].shape, b["u"].shape
    ((3, 50, 10), (3, 50, 2), (3, 50))
    """
    seeds = as_int(seeds, "seeds", low=1)
    n = as_int(n, "n", low=2)
    return _draw(model, seeds, n, as_generator(rng))


def _draw(model, seeds, n, rng):
    sd = np.sqrt(model.lam)
    Z = rng.standard_normal((seeds, n, model.r)) * sd
    Zp = rng.standard_normal((seeds, n, model.r)) * sd
    u = rng.random((seeds, n))
    X = Z @ model.U1.T + _noise_batch(model.noise1, (seeds, n), rng)
    Xi2 = _noise_batch(model.noise2, (seeds, n), rng)
    return {"X": X, "Z": Z, "Zp": Zp, "u": u, "Xi2": Xi2}


def _sin_theta_rows(B: np.ndarray, U: np.ndarray) -> np.ndarray:
    """||sin Theta||_F between orthonormal columns B (..., d, r) and span(U) (orthonormal U)."""
    return np.linalg.norm(B - U @ (U.T @ B), axis=(-2, -1))


def _top_left_singular(S: np.ndarray, r: int) -> np.ndarray:
    """Top-r left singular vectors (..., d1, r) of S, from the eigenvectors of S S^T (fast for batches)."""
    return np.linalg.eigh(S @ np.swapaxes(S, -1, -2))[1][..., ::-1][..., :r]


def _group_sums(X, D, u, epss):
    """Per eps interval g (``eps_{g-1} <= u < eps_g``): ``sum x_i d_i^T`` and ``sum d_i``.

    Shapes (seeds, E + 1, d1, r) and (seeds, E + 1, r); cumulative sums over
    g give the sums over the pairs broken at each eps (``u < eps``).
    """
    seeds, E = X.shape[0], len(epss)
    groups = np.searchsorted(np.asarray(epss), u, side="right")
    XD = np.zeros((seeds, E + 1, X.shape[2], D.shape[2]))
    Dsum = np.zeros((seeds, E + 1, D.shape[2]))
    for s in range(seeds):
        order = np.argsort(groups[s], kind="stable")
        bounds = np.searchsorted(groups[s][order], np.arange(E + 2))
        Xs, Ds = X[s][order], D[s][order]
        for g in np.flatnonzero(np.diff(bounds)):
            XD[s, g] = Xs[bounds[g]:bounds[g + 1]].T @ Ds[bounds[g]:bounds[g + 1]]
            Dsum[s, g] = Ds[bounds[g]:bounds[g + 1]].sum(axis=0)
    return XD, Dsum


class _Sums:
    """Additive statistics of a growing sample (leading axis: seeds).

    Every estimator of :func:`robustness_sweep` is a function of sums over
    the sample, so samples of increasing size n are prefixes of one sample and
    each row is touched once. ``Y(eps) = Z U2^T + Xi2 + 1[u < eps] (Zp - Z) U2^T``,
    so ``X^T Y(eps)`` is a shared part plus the broken pairs' correction.
    """

    def __init__(self, model, seeds, n_eps, augmentations):
        (d1, r), d2, z = model.U1.shape, model.U2.shape[0], np.zeros
        self.model, self.n, self.m = model, 0, augmentations
        self.sx, self.XX, self.XXi, self.sxi = z((seeds, d1)), z((seeds, d1, d1)), z((seeds, d1, d2)), z((seeds, d2))
        self.XZ, self.sz = z((seeds, d1, r)), z((seeds, r))
        self.XD, self.sD = z((seeds, n_eps + 1, d1, r)), z((seeds, n_eps + 1, r))
        self.VW, self.sv, self.sw = z((seeds, d1, d1)), z((seeds, augmentations, d1)), z((seeds, augmentations, d1))

    def add(self, b, epss, rng):
        X = b["X"]
        Xt = np.swapaxes(X, 1, 2)
        self.n += X.shape[1]
        self.sx += X.sum(axis=1)
        self.XX += Xt @ X
        self.XXi += Xt @ b["Xi2"]
        self.sxi += b["Xi2"].sum(axis=1)
        self.XZ += Xt @ b["Z"]
        self.sz += b["Z"].sum(axis=1)
        XD, sD = _group_sums(X, b["Zp"] - b["Z"], b["u"], epss)
        self.XD += XD
        self.sD += sD
        for k in range(self.m):                       # one fresh mask per sample and augmentation
            V = np.where(rng.random(X.shape) < 0.5, X, 0.0)
            W = X - V
            self.VW += np.swapaxes(V, 1, 2) @ W
            self.sv[:, k] += V.sum(axis=1)
            self.sw[:, k] += W.sum(axis=1)

    def mmcl_S(self):
        """(n - 1) S of the linear loss for every eps: (seeds, E, d1, d2)."""
        U2T = self.model.U2.T
        XD, sD = np.cumsum(self.XD, axis=1)[:, :-1], np.cumsum(self.sD, axis=1)[:, :-1]
        XtY = self.XXi[:, None] + (self.XZ[:, None] + XD) @ U2T
        ysum = (self.sz[:, None] + sD) @ U2T + self.sxi[:, None]
        return XtY - self.sx[:, None, :, None] * (ysum[:, :, None, :] / self.n)

    def covariance(self):
        return (self.XX - self.sx[:, :, None] * self.sx[:, None, :] / self.n) / (self.n - 1)

    def masked_S(self):
        """Symmetrised view cross-covariance (linear loss between the views), averaged over masks."""
        C = self.VW - np.einsum("ska,skb->sab", self.sv, self.sw) / self.n
        C /= self.m * (self.n - 1)
        return 0.5 * (C + np.swapaxes(C, 1, 2))


def _errors(sums: _Sums, pop: np.ndarray, Wpop: np.ndarray) -> dict:
    """All errors of the sweep at the current sample size."""
    U1, r = sums.model.U1, sums.model.r
    S = sums.masked_S()
    W = np.swapaxes(_top_eigenvectors(S, r), 1, 2)
    P = np.swapaxes(_top_eigenvectors(sums.covariance(), r), 1, 2)
    gap = np.abs(np.linalg.eigvalsh(S - pop)).max(axis=-1) / np.abs(np.linalg.eigvalsh(pop)).max()
    return {"MMCL": _sin_theta_rows(_top_left_singular(sums.mmcl_S(), r), U1),
            "unimodal CL": _sin_theta_rows(W, U1), "PCA": _sin_theta_rows(P, U1),
            "masked S error": gap, "unimodal CL to limit": _sin_theta_rows(W, Wpop)}


def robustness_sweep(model: TwoModalityModel, ns, epss, *, seeds: int = 10, rng,
                     augmentations: int = 1, chunk: int = 4_000_000) -> dict:
    """Subspace errors of MMCL, unimodal CL and PCA over a grid of n and eps.

    All seeds are sampled at once, and the samples of size ``ns[0] < ns[1] <
    ...`` are prefixes of one sample per seed (the estimators are functions of
    running sums, so each row is drawn and touched once). MMCL is the
    closed-form minimiser of the linear loss, as :func:`mmcl.fit_svd`; PCA is
    :func:`mmcl.pca`; unimodal CL is the linear contrastive loss between two
    masked views, as :func:`mmcl.unimodal_contrastive` with ``center=False``
    (the model has mean zero). The unimodal methods see modality 1 only,
    which mismatch does not change. The samples at different eps share their
    draws (:func:`sample_batch`). Errors are ``||sin Theta||_F`` to
    ``span(U1)``. Introduced in the chapter *Robustness to mismatched pairs*.

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
    dict
        ``"n"`` (N,), ``"eps"`` (E,), ``"MMCL"`` (seeds, N, E),
        ``"unimodal CL"`` and ``"PCA"`` (seeds, N); and, to show that the
        sampled masks converge to the population limit, ``"masked S error"``
        (seeds, N), the operator-norm distance of the masked-view matrix to
        ``(Sigma - diag Sigma)/4`` relative to the latter's norm, and
        ``"unimodal CL to limit"`` (seeds, N), the sin-Theta distance between
        the sampled and the population unimodal CL encoders.

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.experiments import robustness_model, robustness_sweep
    >>> out = robustness_sweep(robustness_model(d=10, r=2), [100, 400], [0.0, 0.5], seeds=3, rng=0)
    >>> out["MMCL"].shape, out["PCA"].shape
    ((3, 2, 2), (3, 2))
    """
    ns = np.array([as_int(n, "ns", low=2) for n in np.atleast_1d(ns)])
    if np.any(np.diff(ns) <= 0):
        raise ValueError(f"ns must be strictly increasing; got {ns.tolist()}")
    epss = np.array([as_probability(float(e), "epss") for e in np.atleast_1d(epss)])
    seeds = as_int(seeds, "seeds", low=1)
    augmentations = as_int(augmentations, "augmentations", low=1)
    rng = as_generator(rng)
    pop = masked_view_covariance_population(model.covariance(1))
    Wpop = _top_eigenvectors(pop, model.r).T
    sums = _Sums(model, seeds, epss.size, augmentations)
    block = max(1, chunk // (seeds * max(model.U1.shape[0], model.U2.shape[0])))
    rows = []
    with _one_blas_thread():
        for n in ns:
            while sums.n < n:
                sums.add(_draw(model, seeds, min(block, n - sums.n), rng), epss, rng)
            rows.append(_errors(sums, pop, Wpop))
    out = {key: np.stack([row[key] for row in rows], axis=1) for key in rows[0]}
    return {"n": ns, "eps": epss, **out}


def crossover_eps(epss, mmcl_error, baseline_error) -> float:
    """The mismatch level at which MMCL stops beating a baseline.

    Linear interpolation of the first sign change of
    ``mmcl_error - baseline_error`` along the eps grid. Returns ``0.0`` when
    the baseline is at least as good already at the first eps, and ``nan``
    when MMCL is better on the whole grid. Introduced in the chapter
    *Robustness to mismatched pairs*.

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


def clip_vs_linear(model: TwoModalityModel, n: int, epss, *, taus=(1.0,), rho: float = 1.0,
                   steps: int = 150, lr: float = 0.05, record_every: int = 10, seeds: int = 10,
                   rng, init_scale: float = 0.1) -> dict:
    """Subspace error of CLIP trained by gradient descent against the closed-form linear solution.

    For each seed and eps one centred sample of n pairs is drawn; the linear
    loss is solved in closed form (:func:`mmcl.fit_svd`) and CLIP with each
    temperature in ``taus`` is trained by :func:`mmcl.fit_gd` from the same
    small random start, recording ``||sin Theta||_F`` to ``span(U1)`` every
    ``record_every`` steps. Introduced in the chapter *Robustness to
    mismatched pairs*.

    Parameters
    ----------
    model : TwoModalityModel
    n : int
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
    dict
        ``"steps"`` (K,) recorded step numbers, ``"linear"`` (seeds, E),
        ``"CLIP"`` (seeds, E, T, K) errors along training, ``"eps"``, ``"tau"``.

    Examples
    --------
    >>> from mmcl.experiments import clip_vs_linear, robustness_model
    >>> out = clip_vs_linear(robustness_model(d=6, r=2), 40, [0.0], steps=4, record_every=2, seeds=2, rng=0)
    >>> out["CLIP"].shape, out["linear"].shape
    ((2, 1, 1, 3), (2, 1))
    """
    epss = [as_probability(float(e), "epss") for e in np.atleast_1d(epss)]
    taus = [float(t) for t in np.atleast_1d(taus)]
    seeds = as_int(seeds, "seeds", low=1)
    rng = as_generator(rng)
    record = np.arange(0, as_int(steps, "steps", low=0) + 1, as_int(record_every, "record_every", low=1))
    linear = np.empty((seeds, len(epss)))
    clip = np.empty((seeds, len(epss), len(taus), record.size))
    with _one_blas_thread():
        for s in range(seeds):
            _clip_seed(model, n, epss, taus, rho, steps, lr, record_every, init_scale, rng,
                       linear[s], clip[s])
    return {"steps": record, "eps": np.array(epss), "tau": np.array(taus), "linear": linear, "CLIP": clip}


def _clip_seed(model, n, epss, taus, rho, steps, lr, record_every, init_scale, rng, linear, clip):
    """One seed of :func:`clip_vs_linear`; fills ``linear`` (E,) and ``clip`` (E, T, K) in place."""
    for j, eps in enumerate(epss):
        sample = model.sample(n, eps=eps, rng=rng)
        X, Y = sample.X - sample.X.mean(axis=0), sample.Y - sample.Y.mean(axis=0)
        linear[j] = sin_theta(fit_svd(X, Y, model.r).G1.T, model.U1)
        start = rng.integers(2**32)
        for t, tau in enumerate(taus):
            fit = fit_gd(X, Y, model.r, clip_loss(tau, rho), steps=steps, lr=lr, rng=start,
                         init_scale=init_scale, record_every=record_every)
            clip[j, t] = [sin_theta(G1.T, model.U1) for _, G1, _ in fit.snapshots]


def digits_sweep(epss, *, r: int = 10, seeds: int = 10, rng, test_size: int = 500,
                 ridge: float = 1e-3) -> dict:
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
    chapter *Robustness to mismatched pairs*.

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
    dict
        ``"eps"`` (E,), ``"probe"``: method -> (seeds, E) test accuracy,
        ``"retrieval"`` (seeds, E) for MMCL, ``"chance"`` (1 / test_size) and
        ``"raw probe"`` (seeds,), the probe on the 32 raw pixels.

    Examples
    --------
    >>> from mmcl.experiments import digits_sweep
    >>> out = digits_sweep([0.0, 0.5], r=5, seeds=2, rng=0)
    >>> out["probe"]["MMCL"].shape, out["retrieval"].shape
    ((2, 2), (2, 2))
    """
    from .baselines import pca, unimodal_contrastive

    epss = [as_probability(float(e), "epss") for e in np.atleast_1d(epss)]
    seeds = as_int(seeds, "seeds", low=1)
    rng = as_generator(rng)
    X, Y, labels = load_digit_halves()
    test_size = as_int(test_size, "test_size", low=1, high=X.shape[0] - 2)
    probe = {m: np.empty((seeds, len(epss))) for m in _METHODS}
    retrieval, raw = np.empty((seeds, len(epss))), np.empty(seeds)
    with _one_blas_thread():
        for s in range(seeds):
            order = rng.permutation(X.shape[0])
            te, tr = order[:test_size], order[test_size:]

            def acc(G):
                return probe_accuracy(X[tr] @ G.T, labels[tr], X[te] @ G.T, labels[te], ridge=ridge)

            raw[s] = probe_accuracy(X[tr], labels[tr], X[te], labels[te], ridge=ridge)
            probe["unimodal CL"][s] = acc(unimodal_contrastive(X[tr], r, rng=rng))
            probe["PCA"][s] = acc(pca(X[tr], r))
            for j, eps in enumerate(epss):
                Ytr, _ = mismatch(Y[tr], eps, rng=rng)
                fit = fit_svd(X[tr], Ytr, r)
                probe["MMCL"][s, j] = acc(fit.G1)
                # Cosine similarity needs embeddings of centred data (training means).
                retrieval[s, j] = retrieval_accuracy((X[te] - X[tr].mean(axis=0)) @ fit.G1.T,
                                                     (Y[te] - Ytr.mean(axis=0)) @ fit.G2.T)
    return {"eps": np.array(epss), "probe": probe, "retrieval": retrieval,
            "chance": 1.0 / test_size, "raw probe": raw}


# --- Chapter: From contrastive loss to SVD ---


@dataclass
class SelectionGrid:
    """Converged CLIP encoders on a grid of temperatures and regulariser weights.

    Returned by :func:`selection_grid`; entry ``[a, b]`` belongs to
    ``taus[a]`` and ``rhos[b]``. Introduced in the chapter *From contrastive
    loss to SVD*.

    Attributes
    ----------
    taus : ndarray, shape (T,)
    rhos : ndarray, shape (R,)
    G1 : ndarray, shape (T, R, r, d1)
    G2 : ndarray, shape (T, R, r, d2)
    S : ndarray, shape (T, R, d1, d2)
        ``S(beta_hat)`` at each converged point.
    singular_values : ndarray, shape (T, R, min(d1, d2))
        Singular values of ``S(beta_hat)``, decreasing.
    coefficients : ndarray, shape (T, R, min(d1, d2))
        Coefficients of ``rho G1^T G2`` on the singular triples (1 = selected).
    selected : ndarray of int, shape (T, R, r)
        Indices of the selected triples (0 = largest singular value).
    residual : ndarray, shape (T, R)
        Relative residual of ``rho G1^T G2`` against its selected triples.
    gradient : ndarray, shape (T, R)
        Largest absolute gradient entry at the end point.
    """

    taus: np.ndarray
    rhos: np.ndarray
    G1: np.ndarray
    G2: np.ndarray
    S: np.ndarray
    singular_values: np.ndarray
    coefficients: np.ndarray
    selected: np.ndarray
    residual: np.ndarray
    gradient: np.ndarray


def _positive_values(values, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of numbers; got shape {arr.shape}")
    for v in arr:
        as_positive(float(v), name)
    return arr


def _grid_points(taus, rhos):
    """``((a, tau), (b, rho))`` for every grid point, row by row."""
    return [((a, t), (b, p)) for a, t in enumerate(taus) for b, p in enumerate(rhos)]


def selection_grid(X, Y, r, taus, rhos, *, rng, steps: int = 150, lr: float = 0.1,
                   init_scale: float = 1e-2) -> SelectionGrid:
    """Run CLIP to a critical point for every ``(tau, rho)`` and read its SVD structure.

    For each pair: ``steps`` of gradient descent from one shared small random
    initialisation, then :func:`mmcl.polish` to a critical point, then
    :func:`mmcl.spectral_selection` of ``rho G1^T G2`` against ``S(beta_hat)``.
    Introduced in the chapter *From contrastive loss to SVD*.

    Parameters
    ----------
    X : array, shape (n, d1)
        Modality-1 samples (centre them: CLIP is not translation invariant).
    Y : array, shape (n, d2)
    r : int
        Representation dimension, ``1 <= r <= min(d1, d2)``.
    taus : sequence of float > 0, length T
        Temperatures.
    rhos : sequence of float > 0, length R
        Regulariser weights.
    rng : numpy.random.Generator or int
        Source of the shared initialisation.
    steps : int >= 0
        Gradient-descent steps before the polish.
    lr : float > 0
        Step size of gradient descent.
    init_scale : float > 0
        Standard deviation of the initial encoder entries.

    Returns
    -------
    SelectionGrid

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(30, 4)), rng.normal(size=(30, 3))
    >>> grid = mmcl.selection_grid(X - X.mean(0), Y - Y.mean(0), 1, [1.0], [0.5, 1.0], rng=1)
    >>> grid.selected.shape, bool(grid.residual.max() < 1e-6)
    ((1, 2, 1), True)
    """
    X, Y = as_pair(X, Y)
    d1, d2 = X.shape[1], Y.shape[1]
    r = as_rank(r, d1, d2)
    taus, rhos = _positive_values(taus, "taus"), _positive_values(rhos, "rhos")
    steps = as_int(steps, "steps", low=0)
    rng = as_generator(rng)
    scale = as_positive(init_scale, "init_scale")
    init = (scale * rng.standard_normal((r, d1)), scale * rng.standard_normal((r, d2)))
    T, R, k = taus.size, rhos.size, min(d1, d2)
    out = {"G1": np.empty((T, R, r, d1)), "G2": np.empty((T, R, r, d2)), "S": np.empty((T, R, d1, d2)),
           "singular_values": np.empty((T, R, k)), "coefficients": np.empty((T, R, k)),
           "selected": np.empty((T, R, r), dtype=int), "residual": np.empty((T, R)),
           "gradient": np.empty((T, R))}
    for (a, tau), (b, rho) in _grid_points(taus, rhos):
        loss = clip_loss(tau=tau, rho=rho)
        start = fit_gd(X, Y, r, loss, steps=steps, lr=lr, rng=rng, init=init)
        end = polish(X, Y, loss, (start.G1, start.G2))
        S = loss.cross_covariance(end.G1, end.G2, X, Y)
        coef, sel, res = spectral_selection(end.G1, end.G2, S, rho)
        grad = loss.gradient(end.G1, end.G2, X, Y)
        values = (end.G1, end.G2, S, np.linalg.svd(S, compute_uv=False), coef, sel, res,
                  max(np.abs(grad[0]).max(), np.abs(grad[1]).max()))
        for key, value in zip(out, values):
            out[key][a, b] = value
    return SelectionGrid(taus=taus, rhos=rhos, **out)


# --- Incorporating unpaired data ---

__all__ += ["detection_sweep", "fdr_calibration", "unpaired_gain", "paper_reproduction"]


def _unpaired_problem(seed, *, snr, fraction, n, m, d, r, batch_size=None):
    """Model, pairs and unpaired samples of one seed (chapter *Incorporating unpaired data*)."""
    from .unpaired import sample_unpaired

    model = make_model(d, d, r, rng=seed, signal=snr, noise_sd=1.0)
    pairs = model.sample(n, rng=seed + 10_000)
    un = sample_unpaired(model, m, partner_fraction=fraction, batch_size=batch_size, rng=seed + 20_000)
    return model, pairs, un


def detection_sweep(snrs, fractions, *, seeds: int = 4, n: int = 100, m: int = 200, d: int = 40, r: int = 10,
                    target_fdr: float = 0.1, rounds: int = 10) -> dict:
    """Detection of hidden pairs against the signal-to-noise ratio.

    For every partner fraction, signal variance (noise variance 1) and seed,
    runs :func:`mmcl.fit_with_unpaired` at ``theta="auto"``. Introduced in
    the chapter *Incorporating unpaired data*.

    Returns
    -------
    dict
        ``precision``, ``recall``, shape (fractions, snrs, seeds); and
        ``round_precision``, ``round_recall``, shape (fractions, snrs, seeds,
        rounds + 1), the scores of the matching of each round (the last
        matching repeated after convergence; round 0 has no pairs).
    """
    from .metrics import detection_scores
    from .unpaired import fit_with_unpaired

    shape = (len(fractions), len(snrs), seeds)
    out = {k: np.zeros(shape) for k in ("precision", "recall")}
    out.update({k: np.zeros(shape + (rounds + 1,)) for k in ("round_precision", "round_recall")})
    for (a, f), (b, snr), s in _grid(fractions, snrs, seeds):
        _, pairs, un = _unpaired_problem(s, snr=snr, fraction=f, n=n, m=m, d=d, r=r)
        fit = fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, r, target_fdr=target_fdr, rounds=rounds)
        scores = [detection_scores(P, un.truth) for P in fit.pair_history]
        scores += [scores[-1]] * (rounds + 1 - len(scores))
        out["round_precision"][a, b, s], out["round_recall"][a, b, s] = np.array(scores).T
        out["precision"][a, b, s], out["recall"][a, b, s] = scores[-1]
    return out


def _grid(first, second, seeds):
    for a, x in enumerate(first):
        for b, y in enumerate(second):
            for s in range(seeds):
                yield (a, x), (b, y), s


def fdr_calibration(targets, fractions, *, snr: float = 16.0, seeds: int = 4, n: int = 100, m: int = 200,
                    d: int = 40, r: int = 10) -> np.ndarray:
    """False-discovery proportion achieved at each target FDR.

    Returns an array of shape (fractions, targets, seeds): the fraction of
    detected pairs that are not true pairs (0 when nothing is detected).
    Introduced in the chapter *Incorporating unpaired data*.
    """
    from .metrics import detection_scores
    from .unpaired import fit_with_unpaired

    out = np.zeros((len(fractions), len(targets), seeds))
    for (a, f), (b, q), s in _grid(fractions, targets, seeds):
        _, pairs, un = _unpaired_problem(s, snr=snr, fraction=f, n=n, m=m, d=d, r=r)
        fit = fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, r, target_fdr=q)
        out[a, b, s] = 1.0 - detection_scores(fit.pairs, un.truth)[0]
    return out


def unpaired_gain(ms, *, seeds: int = 10, n: int = 30, snr: float = 16.0, d: int = 40, r: int = 10,
                  fraction: float = 1.0, target_fdr: float = 0.1) -> dict:
    """What unpaired data buy: sin-Theta of pairs only, the algorithm, the oracle.

    Returns
    -------
    dict
        ``pairs_only``, ``algorithm``, ``oracle``: sin-Theta between the row
        space of ``G1`` and ``span(U1)``, shape (seeds, len(ms)); and
        ``precision``, ``recall`` of the algorithm, same shape. Introduced in
        the chapter *Incorporating unpaired data*.
    """
    from .metrics import detection_scores
    from .unpaired import fit_with_pairs, fit_with_unpaired

    keys = ("pairs_only", "algorithm", "oracle", "precision", "recall")
    out = {k: np.zeros((seeds, len(ms))) for k in keys}
    for s in range(seeds):
        for k, m in enumerate(ms):
            model, pairs, un = _unpaired_problem(s, snr=snr, fraction=fraction, n=n, m=m, d=d, r=r)
            fits = (fit_svd(pairs.X, pairs.Y, r),
                    fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, r, target_fdr=target_fdr),
                    fit_with_pairs(pairs.X, pairs.Y, un.Xu, un.Yu, un.truth, r))
            for key, fit in zip(keys, fits):
                out[key][s, k] = sin_theta(fit.G1.T, model.U1)
            out["precision"][s, k], out["recall"][s, k] = detection_scores(fits[1].pairs, un.truth)
    return out


def paper_reproduction(Ns, *, seeds: int = 2, n: int = 300, n_test: int = 10_000, d1: int = 40, d2: int = 39,
                       r: int = 10, noise_sd: float = 0.3, batch_size: int = 50, target_fdr: float = 0.1,
                       epochs: int = 100, long_epochs: int | None = None) -> dict:
    """Nakada et al. (2023), Section 5.1: retrieval accuracy with unpaired data.

    Per seed: a model with random orthonormal ``U1`` (d1 x r), ``U2``
    (d2 x r), ``z ~ N(0, I)``, isotropic noise ``noise_sd``; ``n`` pairs;
    ``max(Ns)`` unpaired samples whose partners are hidden inside consecutive
    batches of ``batch_size`` (every unpaired x has its partner), of which the
    first ``N`` are used; ``n_test`` test pairs. Routes: the paper's
    procedure (:func:`mmcl.paper_procedure`, all ``N`` and seeds as lanes of
    one run), the closed-form SVD on the pairs, the SVD with unpaired data
    (:func:`mmcl.fit_with_unpaired` matching within the batches), and the
    ceiling given by the true ``U1``, ``U2``. Introduced in the chapter
    *Incorporating unpaired data*.

    Returns
    -------
    dict
        Top-1 retrieval accuracies (cosine, x -> y): ``paper_pairs``,
        ``svd_pairs``, ``ceiling`` of shape (seeds,); ``paper``, ``svd_unpaired``
        of shape (seeds, len(Ns)); ``paper_pairs_long`` (seeds,) if
        ``long_epochs`` is given; wall-clock seconds ``time_paper`` (all
        lanes), ``time_svd_pairs``, ``time_svd_unpaired`` (all seeds and Ns).
    """
    import time

    from .paper import paper_procedure
    from .unpaired import fit_with_unpaired, sample_unpaired

    Ns = [int(N) for N in Ns]
    models = [make_model(d1, d2, r, rng=1000 + s, noise_sd=noise_sd) for s in range(seeds)]
    pairs = [mo.sample(n, rng=2000 + s) for s, mo in enumerate(models)]
    un = [sample_unpaired(mo, max(Ns), batch_size=batch_size, rng=3000 + s) for s, mo in enumerate(models)]
    tests = [mo.sample(n_test, rng=4000 + s) for s, mo in enumerate(models)]
    acc = lambda G1, G2, t: retrieval_accuracy(t.X @ G1.T, t.Y @ G2.T)
    out = {}
    t0 = time.perf_counter()
    fit = paper_procedure(np.stack([p.X for p in pairs for _ in Ns]), np.stack([p.Y for p in pairs for _ in Ns]),
                          [u.Xu[:N] for u in un for N in Ns], [u.Yu[:N] for u in un for N in Ns], r,
                          rng=5000, epochs=epochs, unpaired_epochs=epochs, batch_size=batch_size)
    out["time_paper"] = time.perf_counter() - t0
    lanes = np.arange(seeds * len(Ns)).reshape(seeds, len(Ns))
    out["paper"] = np.array([[acc(fit.G1[l], fit.G2[l], tests[s]) for l in lanes[s]] for s in range(seeds)])
    out["paper_pairs"] = np.array([acc(fit.G1_pairs[lanes[s, 0]], fit.G2_pairs[lanes[s, 0]], tests[s])
                                   for s in range(seeds)])
    if long_epochs is not None:
        none = [u.Xu[:0] for u in un], [u.Yu[:0] for u in un]
        long = paper_procedure(np.stack([p.X for p in pairs]), np.stack([p.Y for p in pairs]), *none, r,
                               rng=5000, epochs=long_epochs, unpaired_epochs=0, batch_size=batch_size)
        out["paper_pairs_long"] = np.array([acc(long.G1[s], long.G2[s], tests[s]) for s in range(seeds)])
    t0 = time.perf_counter()
    svd = [fit_svd(p.X, p.Y, r) for p in pairs]
    out["time_svd_pairs"] = time.perf_counter() - t0
    out["svd_pairs"] = np.array([acc(f.G1, f.G2, t) for f, t in zip(svd, tests)])
    t0 = time.perf_counter()
    fits = [[fit_with_unpaired(p.X, p.Y, u.Xu[:N], u.Yu[:N], r, batch_size=batch_size, target_fdr=target_fdr)
             for N in Ns] for p, u in zip(pairs, un)]
    out["time_svd_unpaired"] = time.perf_counter() - t0
    out["svd_unpaired"] = np.array([[acc(f.G1, f.G2, t) for f in row] for row, t in zip(fits, tests)])
    out["ceiling"] = np.array([acc(mo.U1.T, mo.U2.T, t) for mo, t in zip(models, tests)])
    return out
