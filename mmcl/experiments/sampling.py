"""Vectorised sampling for the sweeps of the chapter `robustness`.

All seeds of a sweep are drawn at once, with a leading seed axis, and every
estimator of :func:`mmcl.experiments.robustness.robustness_sweep` is a
function of running sums over the sample, so samples of increasing size are
prefixes of one sample and each row is drawn and touched once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_generator, as_int
from ..data import TwoModalityModel

__all__ = ["Batch", "sample_batch", "RunningSums"]


@dataclass(frozen=True)
class Batch:
    """Pieces of ``seeds`` samples from which the pairs at any ``eps`` are assembled.

    Pair ``i`` of seed ``s`` is wrongly matched at mismatch level ``eps`` when
    ``u[s, i] < eps``, and then its y uses the independent latent ``Zp``:
    ``Y(eps) = where(u >= eps, Z, Zp) @ U2^T + Xi2``. Introduced in the
    chapter `robustness`.

    Attributes
    ----------
    X : ndarray, shape (seeds, n, d1)
    Z, Zp : ndarray, shape (seeds, n, r)
        Latents of the x's and the independent latents of broken pairs.
    u : ndarray, shape (seeds, n)
        Uniform draws deciding which pairs are broken.
    Xi2 : ndarray, shape (seeds, n, d2)
        Noise of modality 2.
    """

    X: np.ndarray
    Z: np.ndarray
    Zp: np.ndarray
    u: np.ndarray
    Xi2: np.ndarray

    def Y(self, model: TwoModalityModel, eps: float) -> np.ndarray:
        """Modality-2 samples (seeds, n, d2) at mismatch level ``eps``."""
        latent = np.where((self.u >= eps)[..., None], self.Z, self.Zp)
        return latent @ model.U2.T + self.Xi2


def sample_batch(model: TwoModalityModel, seeds: int, n: int, *, rng) -> Batch:
    """Draw ``seeds`` independent samples of size ``n`` at once, for every eps.

    The samples at different eps share their draws (common random numbers):
    they differ only in which pairs are broken, and the broken pairs at a
    smaller eps stay broken at a larger one. Introduced in the chapter
    `robustness`.

    Parameters
    ----------
    model : TwoModalityModel
    seeds : int >= 1
    n : int >= 1
        Rows per seed (a batch may be a single row of a growing sample).
    rng : numpy.random.Generator or int

    Returns
    -------
    Batch

    Examples
    --------
    >>> from mmcl.experiments import robustness_model, sample_batch
    >>> b = sample_batch(robustness_model(d=10, r=2), 3, 50, rng=0)
    >>> b.X.shape, b.Z.shape, b.u.shape, b.Y(robustness_model(d=10, r=2), 0.5).shape
    ((3, 50, 10), (3, 50, 2), (3, 50), (3, 50, 10))
    """
    if not isinstance(model, TwoModalityModel):
        raise TypeError(f"model must be a TwoModalityModel; got {type(model).__name__}")
    seeds = as_int(seeds, "seeds", low=1)
    n = as_int(n, "n", low=1)
    return _draw(model, seeds, n, as_generator(rng))


def _noise_batch(noise, shape, rng):
    out = rng.standard_normal(shape + (noise.dim,)) * np.sqrt(noise.variances)
    if noise.loading.shape[1]:
        out += rng.standard_normal(shape + (noise.loading.shape[1],)) @ noise.loading.T
    return out


def _draw(model: TwoModalityModel, seeds: int, n: int, rng: np.random.Generator) -> Batch:
    sd = np.sqrt(model.lam)
    Z = rng.standard_normal((seeds, n, model.r)) * sd
    Zp = rng.standard_normal((seeds, n, model.r)) * sd
    u = rng.random((seeds, n))
    X = Z @ model.U1.T + _noise_batch(model.noise1, (seeds, n), rng)
    Xi2 = _noise_batch(model.noise2, (seeds, n), rng)
    return Batch(X=X, Z=Z, Zp=Zp, u=u, Xi2=Xi2)


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
            XD[s, g] = Xs[bounds[g] : bounds[g + 1]].T @ Ds[bounds[g] : bounds[g + 1]]
            Dsum[s, g] = Ds[bounds[g] : bounds[g + 1]].sum(axis=0)
    return XD, Dsum


class RunningSums:
    """Additive statistics of a growing sample (leading axis: seeds).

    ``Y(eps) = Z U2^T + Xi2 + 1[u < eps] (Zp - Z) U2^T``, so ``X^T Y(eps)`` is
    a shared part plus the broken pairs' correction. Random-masking views
    (one fresh mask per sample and augmentation) are accumulated too.
    Introduced in the chapter `robustness`.

    Parameters
    ----------
    model : TwoModalityModel
    seeds : int
    epss : array, shape (E,)
        Increasing mismatch levels.
    augmentations : int
        Masks per sample.
    """

    def __init__(self, model: TwoModalityModel, seeds: int, epss, augmentations: int):
        (d1, r), d2, z = model.U1.shape, model.U2.shape[0], np.zeros
        E = len(epss)
        self.model, self.epss, self.n, self.m = model, np.asarray(epss), 0, augmentations
        self.sx, self.XX, self.sxi = z((seeds, d1)), z((seeds, d1, d1)), z((seeds, d2))
        self.XXi, self.XZ, self.sz = z((seeds, d1, d2)), z((seeds, d1, r)), z((seeds, r))
        self.XD, self.sD = z((seeds, E + 1, d1, r)), z((seeds, E + 1, r))
        self.VW = z((seeds, d1, d1))
        self.sv, self.sw = z((seeds, augmentations, d1)), z((seeds, augmentations, d1))

    def add(self, b: Batch, rng: np.random.Generator) -> None:
        """Add the rows of a batch; ``rng`` draws the masks."""
        X = b.X
        Xt = np.swapaxes(X, 1, 2)
        self.n += X.shape[1]
        self.sx += X.sum(axis=1)
        self.XX += Xt @ X
        self.XXi += Xt @ b.Xi2
        self.sxi += b.Xi2.sum(axis=1)
        self.XZ += Xt @ b.Z
        self.sz += b.Z.sum(axis=1)
        XD, sD = _group_sums(X, b.Zp - b.Z, b.u, self.epss)
        self.XD += XD
        self.sD += sD
        for k in range(self.m):
            V = np.where(rng.random(X.shape) < 0.5, X, 0.0)
            W = X - V
            self.VW += np.swapaxes(V, 1, 2) @ W
            self.sv[:, k] += V.sum(axis=1)
            self.sw[:, k] += W.sum(axis=1)

    def _mmcl_parts(self):
        """``(n - 1) S = A + C U2^T`` at every eps: A (seeds, d1, d2), C (seeds, E, d1, r).

        Mismatch only moves the latent part of y, which lives in ``span(U2)``.
        """
        XD, sD = np.cumsum(self.XD, axis=1)[:, :-1], np.cumsum(self.sD, axis=1)[:, :-1]
        A = self.XXi - self.sx[:, :, None] * (self.sxi[:, None, :] / self.n)
        C = (
            self.XZ[:, None]
            + XD
            - self.sx[:, None, :, None] * ((self.sz[:, None] + sD) / self.n)[:, :, None, :]
        )
        return A, C

    def mmcl_S(self) -> np.ndarray:
        """``(n - 1) S`` of the linear loss at every eps: (seeds, E, d1, d2)."""
        A, C = self._mmcl_parts()
        return A[:, None] + C @ self.model.U2.T

    def mmcl_gram(self) -> np.ndarray:
        """``(n - 1)^2 S S^T`` at every eps: (seeds, E, d1, d1), without forming any ``S``.

        With ``U2`` orthonormal, ``S S^T = A (I - U2 U2^T) A^T + F F^T`` with
        ``F = A U2 + C``: one d1 x d1 product per seed, shared by every eps,
        plus a rank-r update per eps. Its top-r eigenvectors are the top-r
        left singular vectors of ``S`` (MMCL's encoder).
        """
        A, C = self._mmcl_parts()
        AU = A @ self.model.U2
        P = A @ np.swapaxes(A, 1, 2) - AU @ np.swapaxes(AU, 1, 2)
        F = AU[:, None] + C
        return P[:, None] + F @ np.swapaxes(F, 2, 3)

    def covariance(self) -> np.ndarray:
        """Sample covariance of modality 1: (seeds, d1, d1)."""
        return (self.XX - self.sx[:, :, None] * self.sx[:, None, :] / self.n) / (self.n - 1)

    def masked_S(self) -> np.ndarray:
        """Symmetrised view cross-covariance (linear loss between the views): (seeds, d1, d1)."""
        C = self.VW - np.einsum("ska,skb->sab", self.sv, self.sw) / self.n
        C /= self.m * (self.n - 1)
        return 0.5 * (C + np.swapaxes(C, 1, 2))
