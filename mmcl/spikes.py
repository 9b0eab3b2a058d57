"""Spiked subspaces of one modality: count the spikes of a sample covariance, whiten within them.

A modality's covariance is noise plus a few strong directions ("spikes"): the shared
features ``U Lambda U^T`` and, with structured noise, nuisance directions. Under isotropic
noise of variance ``sigma^2`` the eigenvalues of the sample covariance of ``N`` samples fill
the Marchenko-Pastur bulk, whose upper edge is ``sigma^2 (1 + sqrt(d/(N-1)))^2``; an
eigenvalue well above it is a spike. This module estimates ``sigma^2`` from the median
eigenvalue, counts the eigenvalues above the edge plus a Tracy-Widom margin, and builds the
map that whitens a modality inside its spiked subspace. Introduced in the chapter `unpaired`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_data, as_int, as_positive, as_rank

__all__ = [
    "TRACY_WIDOM_999",
    "marchenko_pastur_median",
    "SpikeCount",
    "spike_count",
    "SpikedWhitener",
    "spiked_whitener",
]

#: 99.9 % quantile of the Tracy-Widom law of the largest eigenvalue of a real Wishart matrix
#: (beta = 1): the default margin of the noise edge, in units of its fluctuation scale.
TRACY_WIDOM_999 = 3.27

_GRID = np.linspace(0.0, np.pi, 4001)


def marchenko_pastur_median(gamma: float) -> float:
    """Median of the Marchenko-Pastur law with ratio ``gamma = d / dof`` and unit variance.

    The law of the eigenvalues of ``A^T A / dof`` for a ``dof x d`` matrix ``A`` of
    independent standard normal entries, as ``d, dof -> infinity`` with ``d / dof -> gamma``
    (Marchenko and Pastur, 1967). Computed by integrating the density in the angle
    ``x = c + h cos(phi)`` (a smooth integrand, trapezoid rule on 4001 points, relative error
    below 1e-6). Introduced in the chapter `unpaired`.

    Parameters
    ----------
    gamma : float in (0, 1)

    Returns
    -------
    float

    Examples
    --------
    >>> from mmcl.spikes import marchenko_pastur_median
    >>> round(marchenko_pastur_median(0.5), 4)
    0.8305
    """
    gamma = as_positive(gamma, "gamma")
    if gamma >= 1.0:
        raise ValueError(f"gamma must lie in (0, 1) (more samples than dimensions); got {gamma}")
    a, b = (1 - np.sqrt(gamma)) ** 2, (1 + np.sqrt(gamma)) ** 2
    c, h = (a + b) / 2, (b - a) / 2
    phi = _GRID[::-1]  # x = c + h cos(phi) rises from a to b
    density = h**2 * np.sin(phi) ** 2 / (2 * np.pi * gamma * (c + h * np.cos(phi)))
    steps = (density[1:] + density[:-1]) / 2 * np.diff(_GRID)
    cdf = np.concatenate([[0.0], np.cumsum(steps)])
    cdf /= cdf[-1]  # the bulk has mass 1 for gamma < 1
    angle = np.interp(0.5, cdf, phi)
    return float(c + h * np.cos(angle))


@dataclass(frozen=True)
class SpikeCount:
    """Result of :func:`spike_count`.

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    k : int
        Number of spikes kept: ``max(r, number of eigenvalues above edge)``.
    above : int
        Number of eigenvalues above the edge (may be below ``r``).
    noise_variance : float
        Estimate of ``sigma^2``: median eigenvalue over the Marchenko-Pastur median
        (NaN when ``d >= dof``: no bulk to calibrate on).
    edge : float
        The threshold on the eigenvalues (NaN when ``d >= dof``).
    """

    k: int
    above: int
    noise_variance: float
    edge: float


def spike_count(eigenvalues, dof: int, r: int, *, margin: float = TRACY_WIDOM_999) -> SpikeCount:
    """Count the spikes of a sample covariance above the Marchenko-Pastur edge.

    With ``p = d`` eigenvalues of a sample covariance with ``dof`` degrees of freedom
    (``N - 1`` for ``N`` samples centred at their mean), the noise variance is estimated as
    ``sigma^2 = median / marchenko_pastur_median(d / dof)`` (robust to a few spikes, as in
    Gavish and Donoho, 2014), and an eigenvalue is a spike when it exceeds
    ``sigma^2 (mu + margin * s) / dof`` with Johnstone's (2001) centring and scale of the
    largest noise eigenvalue, ``mu = (sqrt(dof) + sqrt(d))^2`` and
    ``s = (sqrt(dof) + sqrt(d)) (1/sqrt(dof) + 1/sqrt(d))^(1/3)``. Never fewer than ``r``
    spikes are kept. With ``d >= dof`` there is no noise bulk to calibrate on and ``k = r``.
    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    eigenvalues : array, shape (d,)
        Eigenvalues of the sample covariance, any order, all >= 0.
    dof : int >= 1
    r : int
        Lower bound on the count, ``1 <= r <= d``.
    margin : float > 0
        Margin above the centring, in Tracy-Widom units (default: its 99.9 % quantile).

    Returns
    -------
    SpikeCount

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.spikes import spike_count
    >>> rng = np.random.default_rng(0)
    >>> A = rng.normal(size=(2000, 30)) * np.r_[4.0, 3.0, np.ones(28)]
    >>> spike_count(np.linalg.eigvalsh(np.cov(A.T)), 1999, 1).k
    2
    """
    if np.ndim(eigenvalues) != 1:
        raise ValueError(f"eigenvalues must be a 1-D array; got shape {np.shape(eigenvalues)}")
    values = as_data(np.reshape(eigenvalues, (1, -1)), "eigenvalues", min_rows=1).ravel()
    values = np.sort(values)[::-1]
    if np.any(values < -1e-10 * max(values[0], 1.0)):
        raise ValueError("eigenvalues must be >= 0 (those of a covariance)")
    d = values.size
    dof = as_int(dof, "dof", low=1)
    r = as_int(r, "r", low=1, high=d)
    margin = as_positive(margin, "margin")
    if d >= dof:
        return SpikeCount(k=r, above=0, noise_variance=float("nan"), edge=float("nan"))
    sigma2 = float(np.median(values) / marchenko_pastur_median(d / dof))
    root = np.sqrt(dof) + np.sqrt(d)
    scale = root * (1 / np.sqrt(dof) + 1 / np.sqrt(d)) ** (1 / 3)
    # Noise-free data: a vanishing median must not make round-off count as spikes.
    edge = max(sigma2 * (root**2 + margin * scale) / dof, 1e-10 * values[0])
    above = int(np.sum(values > edge))
    return SpikeCount(k=max(r, above), above=above, noise_variance=sigma2, edge=float(edge))


@dataclass(frozen=True)
class SpikedWhitener:
    """Whitening map of one modality restricted to its spiked subspace.

    ``x~ = W (x - mean)`` has identity sample covariance over the samples it was built from.
    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    mean : ndarray, shape (d,)
    W : ndarray, shape (k, d)
        ``diag(l_1..l_k)^{-1/2} V_k^T`` (or ``V_k^T`` when built with ``whiten=False``).
    V : ndarray, shape (d, k)
        Top-k eigenvectors of the sample covariance.
    eigenvalues : ndarray, shape (d,)
        All eigenvalues of the sample covariance, decreasing.
    spikes : SpikeCount
        How ``k`` was chosen (``spikes.k`` may differ from ``k`` when forced).
    """

    mean: np.ndarray
    W: np.ndarray
    V: np.ndarray
    eigenvalues: np.ndarray
    spikes: SpikeCount

    @property
    def k(self) -> int:
        """Dimension of the reduced coordinates."""
        return self.W.shape[0]

    def transform(self, A) -> np.ndarray:
        """Reduced (whitened) coordinates ``(A - mean) W^T`` (rows, k) of ``A`` (rows, d)."""
        return (np.asarray(A, dtype=np.float64) - self.mean) @ self.W.T


def spiked_whitener(A, r, *, n_spikes=None, whiten: bool = True, margin: float = TRACY_WIDOM_999):
    """The spiked subspace of one modality from all its samples, whitened.

    Eigendecomposes the sample covariance of ``A`` (one mean), counts its spikes with
    :func:`spike_count` (or takes ``n_spikes``), and returns the map
    ``x -> diag(l)^{-1/2} V_k^T (x - mean)``. Costs one ``d x d`` Gram matrix and one
    eigendecomposition. Introduced in the chapter `unpaired`.

    Parameters
    ----------
    A : array, shape (N, d)
        Every sample of the modality (paired and unpaired stacked).
    r : int
        Representation dimension; at least ``r`` spikes are kept.
    n_spikes : int, optional
        Force ``k`` (``r <= n_spikes <= d``).
    whiten : bool
        ``False``: ``W = V_k^T`` (reduce, do not rescale).
    margin : float > 0
        Passed to :func:`spike_count`.

    Returns
    -------
    SpikedWhitener

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.spikes import spiked_whitener
    >>> A = np.random.default_rng(0).normal(size=(500, 6)) * [5.0, 1, 1, 1, 1, 1]
    >>> w = spiked_whitener(A, 1)
    >>> w.k, np.allclose(np.cov(w.transform(A).T), 1.0)
    (1, True)
    """
    A = as_data(A, "A")
    N, d = A.shape
    r = as_rank(r, d)
    mean = A.mean(axis=0)
    Ac = A - mean
    values, vectors = np.linalg.eigh(Ac.T @ Ac / (N - 1))
    values, vectors = np.maximum(values[::-1], 0.0), vectors[:, ::-1]
    spikes = spike_count(values, N - 1, r, margin=margin)
    k = spikes.k if n_spikes is None else as_int(n_spikes, "n_spikes", low=r, high=d)
    V = np.ascontiguousarray(vectors[:, :k])
    if whiten:
        if values[k - 1] <= 1e-12 * max(values[0], np.finfo(float).tiny):
            raise ValueError(
                f"A has fewer than n_spikes = {k} directions of positive variance; "
                "pass a smaller n_spikes"
            )
        W = V.T / np.sqrt(values[:k])[:, None]
    else:
        W = V.T.copy()
    return SpikedWhitener(mean=mean, W=W, V=V, eigenvalues=values, spikes=spikes)
