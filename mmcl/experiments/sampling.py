"""Vectorised sampling for the sweeps of the chapter `robustness`.

All seeds of a sweep are drawn at once, with a leading seed axis, and every
estimator of :func:`mmcl.experiments.robustness.robustness_sweep` is a
function of running sums over the sample, so samples of increasing size are
prefixes of one sample and each row is drawn and touched once. The noise of
modality 2 enters those sums only through ``[X 1]^T Xi2``, which given ``X``
is Gaussian with covariance ``[X 1]^T [X 1]`` (x) ``Sigma_2``: the sweeps
draw that (d1 + 1) x d2 matrix from its law instead of n rows of noise.
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
    Xi2 : ndarray, shape (seeds, n, d2), or None
        Noise of modality 2; ``None`` when only its sums are needed, which
        :meth:`RunningSums.add` then draws from their law given ``X``.
    """

    X: np.ndarray
    Z: np.ndarray
    Zp: np.ndarray
    u: np.ndarray
    Xi2: np.ndarray | None

    def Y(self, model: TwoModalityModel, eps: float) -> np.ndarray:
        """Modality-2 samples (seeds, n, d2) at mismatch level ``eps``."""
        if self.Xi2 is None:
            raise ValueError("this batch was drawn with noise2=False: it has no modality-2 rows")
        latent = np.where((self.u >= eps)[..., None], self.Z, self.Zp)
        return latent @ model.U2.T + self.Xi2


def sample_batch(model: TwoModalityModel, seeds: int, n: int, *, rng, noise2: bool = True) -> Batch:
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
    noise2 : bool
        Draw the noise of modality 2 (``False``: ``Xi2`` is ``None``, for
        :class:`RunningSums`, which needs only its sums).

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
    if not isinstance(noise2, (bool, np.bool_)):
        raise TypeError(f"noise2 must be True or False; got {noise2!r}")
    return _draw(model, seeds, n, as_generator(rng), noise2)


def _noise_batch(noise, shape, rng):
    out = rng.standard_normal(shape + (noise.dim,)) * np.sqrt(noise.variances)
    if noise.loading.shape[1]:
        out += rng.standard_normal(shape + (noise.loading.shape[1],)) @ noise.loading.T
    return out


def _draw(
    model: TwoModalityModel, seeds: int, n: int, rng: np.random.Generator, noise2: bool = True
) -> Batch:
    sd = np.sqrt(model.lam)
    Z = rng.standard_normal((seeds, n, model.r)) * sd
    Zp = rng.standard_normal((seeds, n, model.r)) * sd
    u = rng.random((seeds, n))
    X = Z @ model.U1.T + _noise_batch(model.noise1, (seeds, n), rng)
    Xi2 = _noise_batch(model.noise2, (seeds, n), rng) if noise2 else None
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


def _noise_sums(noise, XX, sx, rows, rng):
    """``X^T Xi`` and ``1^T Xi`` for ``rows`` noise rows ``Xi``, drawn from their law given X.

    The rows of ``Xi`` are i.i.d. N(0, Sigma), so ``[X 1]^T Xi`` has
    independent columns (in the whitened basis of Sigma) with covariance
    ``G = [X 1]^T [X 1]``: it has the law of ``L Xi'`` with ``L L^T = G`` and
    ``Xi'`` d + 1 fresh noise rows. ``None`` when ``G`` is singular (fewer
    rows than d + 1), where drawing the rows is cheaper anyway.
    """
    seeds, d = sx.shape
    if rows <= d + 1:
        return None
    G = np.empty((seeds, d + 1, d + 1))
    G[:, :d, :d], G[:, :d, d], G[:, d, :d], G[:, d, d] = XX, sx, sx, rows
    try:
        L = np.linalg.cholesky(G)
    except np.linalg.LinAlgError:
        return None
    M = L @ _noise_batch(noise, (seeds, d + 1), rng)
    return M[:, :d], M[:, d]


def _random_signs(X, rng):
    """``X`` with each entry's sign flipped with probability 1/2, independently."""
    bits = np.unpackbits(rng.integers(0, 256, size=-(-X.size // 8), dtype=np.uint8))
    flips = bits[: X.size].astype(np.uint64).reshape(X.shape)
    flips <<= np.uint64(63)
    np.bitwise_xor(np.ascontiguousarray(X).view(np.uint64), flips, out=flips)
    return flips.view(np.float64)


class RunningSums:
    """Additive statistics of a growing sample (leading axis: seeds).

    ``Y(eps) = Z U2^T + Xi2 + 1[u < eps] (Zp - Z) U2^T``, so ``X^T Y(eps)`` is
    a shared part plus the broken pairs' correction. Random-masking views
    (one fresh mask per sample and augmentation) are accumulated too: with a
    mask ``a`` and signs ``f = 2a - 1``, the views are ``v = (x + f x)/2`` and
    ``w = (x - f x)/2``, so ``V^T W + W^T V = (X^T X - F^T F)/2`` with
    ``F = f * X``, one symmetric rank-k update per augmentation.
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
        self.FF = z((seeds, d1, d1))
        self.sv, self.sw = z((seeds, augmentations, d1)), z((seeds, augmentations, d1))

    def add(self, b: Batch, rng: np.random.Generator) -> None:
        """Add the rows of a batch; ``rng`` draws the masks (and the sums of a missing ``Xi2``)."""
        X = b.X
        Xt = np.swapaxes(X, 1, 2)
        rows = X.shape[1]
        sx, XX = X.sum(axis=1), Xt @ X
        self.n += rows
        self.sx += sx
        self.XX += XX
        if b.Xi2 is not None:
            XXi, sxi = Xt @ b.Xi2, b.Xi2.sum(axis=1)
        else:
            drawn = _noise_sums(self.model.noise2, XX, sx, rows, rng)
            if drawn is None:
                Xi2 = _noise_batch(self.model.noise2, (X.shape[0], rows), rng)
                drawn = Xt @ Xi2, Xi2.sum(axis=1)
            XXi, sxi = drawn
        self.XXi += XXi
        self.sxi += sxi
        self.XZ += Xt @ b.Z
        self.sz += b.Z.sum(axis=1)
        XD, sD = _group_sums(X, b.Zp - b.Z, b.u, self.epss)
        self.XD += XD
        self.sD += sD
        for k in range(self.m):
            F = _random_signs(X, rng)
            self.FF += np.swapaxes(F, 1, 2) @ F
            sf = F.sum(axis=1)
            self.sv[:, k] += 0.5 * (sx + sf)
            self.sw[:, k] += 0.5 * (sx - sf)

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

        ``S S^T = A A^T + C U2^T U2 C^T + A U2 C^T + C U2^T A^T``: one d1 x d1
        product per seed, shared by every eps, plus rank-r products per eps.
        Its top-r eigenvectors are the top-r left singular vectors of ``S``
        (MMCL's encoder).
        """
        A, C = self._mmcl_parts()
        U2 = self.model.U2
        AU = A @ U2
        Ct = np.swapaxes(C, 2, 3)
        T = AU[:, None] @ Ct
        SS = (C @ (U2.T @ U2)) @ Ct
        SS += T
        SS += np.swapaxes(T, 2, 3)
        SS += (A @ np.swapaxes(A, 1, 2))[:, None]
        return SS

    def covariance(self) -> np.ndarray:
        """Sample covariance of modality 1: (seeds, d1, d1)."""
        return (self.XX - self.sx[:, :, None] * self.sx[:, None, :] / self.n) / (self.n - 1)

    def masked_S(self) -> np.ndarray:
        """Symmetrised view cross-covariance (linear loss between the views): (seeds, d1, d1)."""
        VW = 0.25 * (self.m * self.XX - self.FF)  # (V^T W + W^T V)/2, summed over the masks
        VW[:, np.arange(VW.shape[1]), np.arange(VW.shape[1])] = 0.0  # v_j w_j = 0 exactly
        svw = np.einsum("ska,skb->sab", self.sv, self.sw)
        C = VW - 0.5 * (svw + np.swapaxes(svw, 1, 2)) / self.n
        C /= self.m * (self.n - 1)
        return C
