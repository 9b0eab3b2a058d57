"""Experiment runners of the chapters: sweeps that return arrays (no plotting).

Each runner repeats an experiment over many seeds at once and returns NumPy
arrays with the seed axis first, so the chapters can draw means and error
bands and assert on them. Figures live in :mod:`mmcl.plots`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_generator, as_int, as_pair, as_positive, as_probability, as_rank
from .baselines import _masked_S, _top_eigenvectors
from .data import TwoModalityModel, load_digit_halves, make_model, mismatch
from .metrics import probe_accuracy, retrieval_accuracy, sin_theta
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
    rng = as_generator(rng)
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


def _mmcl_errors(model, batch, epss) -> np.ndarray:
    """sin-Theta of the MMCL (linear loss, closed form) encoder for every eps: (seeds, len(epss))."""
    X, Z, Zp, u, Xi2 = (batch[k] for k in ("X", "Z", "Zp", "u", "Xi2"))
    n = X.shape[1]
    Xt = np.swapaxes(X, 1, 2)
    XtXi2 = Xt @ Xi2                                # the expensive GEMM, shared by all eps
    xsum, xi2sum = X.sum(axis=1), Xi2.sum(axis=1)
    out = np.empty((X.shape[0], len(epss)))
    for j, eps in enumerate(epss):
        Zt = np.where((u >= eps)[..., None], Z, Zp)
        XtY = XtXi2 + (Xt @ Zt) @ model.U2.T
        ysum = Zt.sum(axis=1) @ model.U2.T + xi2sum
        S = XtY - xsum[:, :, None] * (ysum[:, None, :] / n)     # (n - 1) S; scale is irrelevant
        left = np.linalg.svd(S)[0][..., : model.r]
        out[:, j] = _sin_theta_rows(left, model.U1)
    return out


def _unimodal_errors(model, X, rng, augmentations=1):
    """sin-Theta of unimodal CL and PCA on modality 1: two arrays of shape (seeds,)."""
    Xc = X - X.mean(axis=1, keepdims=True)
    W = _top_eigenvectors(_masked_S(Xc, rng, augmentations), model.r)
    P = _top_eigenvectors(np.swapaxes(Xc, 1, 2) @ Xc, model.r)
    return (_sin_theta_rows(np.swapaxes(W, 1, 2), model.U1),
            _sin_theta_rows(np.swapaxes(P, 1, 2), model.U1))


def robustness_sweep(model: TwoModalityModel, ns, epss, *, seeds: int = 10, rng,
                     augmentations: int = 1, chunk: int = 4_000_000) -> dict:
    """Subspace errors of MMCL, unimodal CL and PCA over a grid of n and eps.

    For every n, ``seeds`` samples are drawn at once (:func:`sample_batch`);
    MMCL is the closed-form minimiser of the linear loss (the top-r left
    singular vectors of ``Xc^T Yc``), the unimodal methods see modality 1
    only, which mismatch does not change, so they are fitted once per sample.
    Errors are ``||sin Theta||_F`` to ``span(U1)``. Introduced in the chapter
    *Robustness to mismatched pairs*.

    Parameters
    ----------
    model : TwoModalityModel
    ns : sequence of int
        Sample sizes.
    epss : sequence of float in [0, 1]
        Mismatch probabilities.
    seeds : int
        Independent samples per n.
    rng : numpy.random.Generator or int
    augmentations : int
        Masks per sample for unimodal CL.
    chunk : int
        At most this many numbers per sampled array (memory bound); the seeds
        are processed in groups accordingly.

    Returns
    -------
    dict
        ``"n"`` (N,), ``"eps"`` (E,), ``"MMCL"`` (seeds, N, E),
        ``"unimodal CL"`` and ``"PCA"`` (seeds, N).

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.experiments import robustness_model, robustness_sweep
    >>> out = robustness_sweep(robustness_model(d=10, r=2), [100, 400], [0.0, 0.5], seeds=3, rng=0)
    >>> out["MMCL"].shape, out["PCA"].shape
    ((3, 2, 2), (3, 2))
    """
    ns = np.array([as_int(n, "ns", low=2) for n in np.atleast_1d(ns)])
    epss = np.array([as_probability(float(e), "epss") for e in np.atleast_1d(epss)])
    seeds = as_int(seeds, "seeds", low=1)
    rng = as_generator(rng)
    d = max(model.U1.shape[0], model.U2.shape[0])
    out = {"n": ns, "eps": epss, "MMCL": np.empty((seeds, ns.size, epss.size)),
           "unimodal CL": np.empty((seeds, ns.size)), "PCA": np.empty((seeds, ns.size))}
    for i, n in enumerate(ns):
        group = max(1, min(seeds, chunk // (n * d)))
        for start in range(0, seeds, group):
            sl = slice(start, min(seeds, start + group))
            batch = sample_batch(model, sl.stop - sl.start, n, rng)
            out["MMCL"][sl, i] = _mmcl_errors(model, batch, epss)
            out["unimodal CL"][sl, i], out["PCA"][sl, i] = _unimodal_errors(model, batch["X"], rng,
                                                                           augmentations)
    return out


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
