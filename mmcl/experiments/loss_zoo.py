"""Experiments of the chapter `loss_zoo`: the latent yardstick, and the spectral loss
against CCA and PLS-SVD.

Runners return frozen dataclasses of NumPy arrays (seed axis first; no plotting); the
figures and the explorer live in ``mmcl.figures.loss_zoo``. The runners that train the
nonlinear losses are in :mod:`mmcl.experiments.loss_zoo_fits`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import (
    as_data,
    as_int,
    as_nonnegative,
)
from .._threads import one_blas_thread
from ..cca import fit_cca
from ..data import TwoModalityModel
from ..losses import spectral_loss
from ..metrics import sin_theta
from ..solvers import fit_svd, polish
from ._seeds import seed_list

__all__ = [
    "latent_unexplained",
    "SpectralVsCCA",
    "spectral_vs_cca",
    "SpectralPath",
    "spectral_path",
]


def _check_model(model):
    if not isinstance(model, TwoModalityModel):
        raise TypeError(f"model must be a TwoModalityModel (mmcl.make_model); got {model!r}")
    return model


def latent_unexplained(model, G1) -> float:
    """``1 - R^2`` of the best linear prediction of the latent ``z`` from ``G1 x``.

    In the population of ``model`` (the limit of infinitely many fresh samples):
    ``1 - tr(Lambda U1^T G1^T (G1 Sigma_x G1^T)^+ G1 U1 Lambda) / tr(Lambda)``. It
    depends on the row space of ``G1`` only, and it measures what an encoder
    is for: a whitened encoder (CCA) whose rows are far from ``span(U1)`` can
    predict ``z`` as well as PLS. Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    model : TwoModalityModel
    G1 : array, shape (k, d1)

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> import mmcl
    >>> from mmcl.experiments.loss_zoo import latent_unexplained
    >>> model = mmcl.make_model(6, 5, 2, rng=0, signal=4.0, noise_sd=0.5)
    >>> round(latent_unexplained(model, model.U1.T), 3)     # signal 4, noise variance 0.25
    0.059
    """
    model = _check_model(model)
    G1 = as_data(G1, "G1", min_rows=1)
    if G1.shape[1] != model.U1.shape[0]:
        raise ValueError(f"G1 must have d1 = {model.U1.shape[0]} columns; got {G1.shape}")
    cross = G1 @ (model.U1 * model.lam)  # Cov(G1 x, z), k x r
    explained = np.trace(cross.T @ np.linalg.pinv(G1 @ model.covariance(1) @ G1.T) @ cross)
    return float(1.0 - explained / model.lam.sum())


@dataclass(frozen=True)
class SpectralVsCCA:
    """The numerical minimiser of the spectral loss against CCA and PLS-SVD.

    Returned by :func:`spectral_vs_cca`; entry ``[s, k]`` belongs to seed ``s``
    and ``ns[k]``. Angles are ``||sin Theta||_F`` between row spaces of ``G1``.
    Introduced in the chapter `loss_zoo`.

    Attributes
    ----------
    ns : ndarray of int, shape (N,)
    to_cca : ndarray, shape (seeds, N)
        Spectral minimiser against ``mmcl.fit_cca``.
    to_sklearn : ndarray, shape (seeds, N)
        Spectral minimiser against ``sklearn.cross_decomposition.CCA(scale=False)``.
    product_gap : ndarray, shape (seeds, N)
        ``||W_spec - W_cca||_F / ||W_cca||_F`` with ``W = G1^T G2`` (the
        ``O(1/n)`` diagonal term).
    to_pls : ndarray, shape (seeds, N)
        Spectral minimiser against PLS-SVD (``mmcl.fit_svd``).
    gradient : ndarray, shape (seeds, N)
        Largest gradient entry at the numerical minimiser.
    """

    ns: np.ndarray
    to_cca: np.ndarray
    to_sklearn: np.ndarray
    product_gap: np.ndarray
    to_pls: np.ndarray
    gradient: np.ndarray


def spectral_vs_cca(model, *, ns, seeds: int = 3, rng) -> SpectralVsCCA:
    """Minimise the spectral loss (``rho = 0``) numerically and compare it with CCA.

    Each sample is centred; the minimiser is found by :func:`mmcl.polish` (L-BFGS)
    from a small random start. Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    model : TwoModalityModel
    ns : sequence of int >= 2, length N
        Sample sizes (larger than ``d1`` and ``d2``).
    seeds : int >= 1
    rng : numpy.random.Generator or int

    Returns
    -------
    SpectralVsCCA

    Examples
    --------
    >>> import mmcl
    >>> from mmcl.experiments.loss_zoo import spectral_vs_cca
    >>> model = mmcl.make_model(5, 4, 2, rng=0, signal=[4.0, 2.0], heteroskedasticity=(2.0, 0.0))
    >>> out = spectral_vs_cca(model, ns=[500], seeds=1, rng=1)
    >>> bool(out.to_cca[0, 0] < 0.05)
    True
    """
    from sklearn.cross_decomposition import CCA

    model = _check_model(model)
    ns = np.array([as_int(n, "ns", low=2) for n in np.atleast_1d(ns)])
    r = model.r
    out = np.full((5, as_int(seeds, "seeds", low=1), ns.size), np.nan)
    for s, seed in enumerate(seed_list(rng, seeds)):
        gen = np.random.default_rng(seed)
        for k, n in enumerate(ns):
            sample = model.sample(int(n), rng=gen)
            X, Y = sample.X - sample.X.mean(0), sample.Y - sample.Y.mean(0)
            start = (
                0.1 * gen.standard_normal((r, X.shape[1])),
                0.1 * gen.standard_normal((r, Y.shape[1])),
            )
            # thin n x d matrices: threads only slow the SVDs of scikit-learn's CCA down
            with one_blas_thread():
                fit = polish(X, Y, spectral_loss(), init=start, gtol=1e-9)
                cca = fit_cca(X, Y, r)
                sk = CCA(n_components=r, scale=False, max_iter=5000, tol=1e-12).fit(X, Y)
            W, Wc = fit.G1.T @ fit.G2, cca.G1.T @ cca.G2
            out[:, s, k] = (
                sin_theta(fit.G1.T, cca.G1.T),
                sin_theta(fit.G1.T, sk.x_rotations_),
                np.linalg.norm(W - Wc) / np.linalg.norm(Wc),
                sin_theta(fit.G1.T, fit_svd(X, Y, r).G1.T),
                max(np.abs(g).max() for g in spectral_loss().gradient(fit.G1, fit.G2, X, Y)),
            )
    return SpectralVsCCA(ns, *out)


@dataclass(frozen=True)
class SpectralPath:
    """The spectral loss's minimiser as ``rho`` grows, against CCA and PLS-SVD.

    Returned by :func:`spectral_path`; entry ``[s, k]`` belongs to seed ``s`` and
    ``rhos[k]``. Introduced in the chapter `loss_zoo`.

    Attributes
    ----------
    rhos : ndarray, shape (R,)
    to_cca, to_pls : ndarray, shape (seeds, R)
        ``||sin Theta||_F`` between the row spaces of ``G1`` and of CCA / PLS-SVD.
    """

    rhos: np.ndarray
    to_cca: np.ndarray
    to_pls: np.ndarray


def spectral_path(model, n: int, *, rhos, seeds: int = 3, rng) -> SpectralPath:
    """Minimise the spectral loss for each ``rho`` on centred samples of ``model``.

    Each minimisation is :func:`mmcl.polish` from a small random start of scale
    ``0.1 / sqrt(1 + rho)`` (the minimiser shrinks like ``1/rho``). Introduced in
    the chapter `loss_zoo`.

    Parameters
    ----------
    model : TwoModalityModel
    n : int
    rhos : sequence of float >= 0, length R
    seeds : int >= 1
    rng : numpy.random.Generator or int

    Returns
    -------
    SpectralPath

    Examples
    --------
    >>> import mmcl
    >>> from mmcl.experiments.loss_zoo import spectral_path
    >>> model = mmcl.make_model(5, 4, 2, rng=0, signal=[4.0, 2.0], heteroskedasticity=(2.0, 0.0))
    >>> out = spectral_path(model, 300, rhos=[0.0, 1e4], seeds=1, rng=1)
    >>> bool(out.to_cca[0, 0] < out.to_cca[0, 1] and out.to_pls[0, 1] < out.to_pls[0, 0])
    True
    """
    model = _check_model(model)
    n = as_int(n, "n", low=2)
    rhos = np.array([as_nonnegative(p, "rhos") for p in np.atleast_1d(rhos)])
    r = model.r
    out = np.empty((2, as_int(seeds, "seeds", low=1), rhos.size))
    for s, seed in enumerate(seed_list(rng, seeds)):
        gen = np.random.default_rng(seed)
        sample = model.sample(n, rng=gen)
        X, Y = sample.X - sample.X.mean(0), sample.Y - sample.Y.mean(0)
        cca, pls = fit_cca(X, Y, r).G1.T, fit_svd(X, Y, r).G1.T
        noise = gen.standard_normal((r, X.shape[1])), gen.standard_normal((r, Y.shape[1]))
        for k, rho in enumerate(rhos):
            scale = 0.1 / np.sqrt(1.0 + rho)
            with one_blas_thread():
                fit = polish(X, Y, spectral_loss(rho), init=(scale * noise[0], scale * noise[1]))
            out[:, s, k] = sin_theta(fit.G1.T, cca), sin_theta(fit.G1.T, pls)
    return SpectralPath(rhos, *out)
