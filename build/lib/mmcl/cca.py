"""Canonical correlation analysis in closed form: the whitened counterpart of PLS-SVD.

The linear loss is minimised by the SVD of the cross-covariance (PLS-SVD,
:func:`mmcl.fit_svd`); whitening each modality first gives canonical
correlation analysis, the minimiser of the spectral contrastive loss.
Introduced in the chapter `loss_to_svd`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_nonnegative, as_pair, as_rank
from .losses import weighted_cross_covariance

__all__ = ["CCAFit", "fit_cca"]


@dataclass(frozen=True)
class CCAFit:
    """Result of :func:`fit_cca`.

    Introduced in the chapter `loss_to_svd`.

    Attributes
    ----------
    G1 : ndarray, shape (r, d1)
    G2 : ndarray, shape (r, d2)
        Balanced encoders: ``G1 = Sigma_r^{1/2} U_r^T Cxx^{-1/2}`` and
        ``G2 = Sigma_r^{1/2} V_r^T Cyy^{-1/2}``, so ``G1^T G2`` minimises
        ``-2 tr(W^T Cxy) + tr(W^T Cxx W Cyy)`` over rank-r ``W``.
    correlations : ndarray, shape (min(d1, d2),)
        Canonical correlations (singular values of the whitened
        cross-covariance ``Cxx^{-1/2} Cxy Cyy^{-1/2}``), decreasing.
    """

    G1: np.ndarray
    G2: np.ndarray
    correlations: np.ndarray


def _inverse_sqrt(C: np.ndarray, ridge: float, name: str) -> np.ndarray:
    """``(C + ridge * mean eigenvalue * I)^{-1/2}`` of a symmetric covariance."""
    values, vectors = np.linalg.eigh(C)
    values = values + ridge * max(values.mean(), 0.0)
    if values[0] <= 1e-12 * max(values[-1], np.finfo(float).tiny):
        raise ValueError(
            f"the covariance of {name} is singular (fewer samples than dimensions, or collinear "
            f"columns); pass ridge > 0"
        )
    return (vectors / np.sqrt(values)) @ vectors.T


def fit_cca(X, Y, r, *, ridge: float = 0.0, weights=None) -> CCAFit:
    """Canonical correlation analysis in closed form, optionally regularised and weighted.

    With ``Cxx``, ``Cyy``, ``Cxy`` the (weighted) covariances of the centred
    data, each regularised as ``C + ridge * (tr C / d) * I``, and the SVD
    ``Cxx^{-1/2} Cxy Cyy^{-1/2} = U Sigma V^T``, the encoders are
    ``G1 = Sigma_r^{1/2} U_r^T Cxx^{-1/2}`` and ``G2 = Sigma_r^{1/2} V_r^T Cyy^{-1/2}``.
    Then ``G1^T G2 = Cxx^{-1/2} [Cxx^{-1/2} Cxy Cyy^{-1/2}]_r Cyy^{-1/2}``, the minimiser of
    ``-2 tr(W^T Cxy) + tr(W^T Cxx W Cyy)`` over rank-r matrices ``W`` (the population
    spectral contrastive loss). ``ridge -> infinity`` tends to PLS-SVD
    (:func:`mmcl.fit_svd`) up to scale. Costs two GEMMs with the data and eigen
    decompositions of d x d matrices. Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
    r : int
        ``1 <= r <= min(d1, d2)``.
    ridge : float >= 0
        Regularisation relative to the mean eigenvalue of each covariance; needed
        when ``n - 1 < max(d1, d2)``.
    weights : array, shape (n,), optional
        Non-negative weight of each pair (weighted means and covariances).

    Returns
    -------
    CCAFit
        ``.G1`` (r x d1), ``.G2`` (r x d2), ``.correlations``.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(500, 1))
    >>> X = np.hstack([z, rng.normal(size=(500, 2))])
    >>> Y = np.hstack([10 * z + rng.normal(size=(500, 1)), rng.normal(size=(500, 1))])
    >>> fit = mmcl.fit_cca(X, Y, 1)
    >>> bool(fit.correlations[0] > 0.99), fit.G1.shape
    (True, (1, 3))
    """
    X, Y = as_pair(X, Y)
    r = as_rank(r, X.shape[1], Y.shape[1])
    ridge = as_nonnegative(ridge, "ridge")
    Wx = _inverse_sqrt(weighted_cross_covariance(X, X, weights), ridge, "X")
    Wy = _inverse_sqrt(weighted_cross_covariance(Y, Y, weights), ridge, "Y")
    U, s, Vt = np.linalg.svd(Wx @ weighted_cross_covariance(X, Y, weights) @ Wy)
    root = np.sqrt(s[:r])[:, None]
    return CCAFit(G1=root * (U[:, :r].T @ Wx), G2=root * (Vt[:r] @ Wy), correlations=s)
