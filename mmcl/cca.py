"""Canonical correlation analysis in closed form: the whitened counterpart of PLS-SVD.

The linear loss is minimised by the SVD of the cross-covariance (PLS-SVD,
:func:`mmcl.fit_svd`); whitening each modality first gives canonical
correlation analysis, the minimiser of the spectral contrastive loss.
Introduced in the chapter `loss_to_svd`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack, solve_triangular

from ._checks import as_nonnegative, as_pair, as_rank
from .losses import weighted_cross_covariance

__all__ = ["CCAFit", "fit_cca", "WHITENINGS"]

#: Whitenings :func:`fit_cca` can use: ``C^{-1/2}`` or the inverse Cholesky factor.
WHITENINGS = ("symmetric", "cholesky")


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


def _whitening_factor(C: np.ndarray, ridge: float, name: str) -> np.ndarray:
    """Lower Cholesky factor ``L`` of ``C + ridge * mean eigenvalue * I`` (``L L^T``).

    ``L^{-1}`` whitens like ``C^{-1/2}`` (``L^{-1} = Q C^{-1/2}`` with ``Q`` orthogonal), for a
    third of the flops of one symmetric eigendecomposition. Refused when the
    estimated reciprocal condition number is at most ``1e-12``.
    """
    C = C + ridge * max(np.trace(C) / C.shape[0], 0.0) * np.eye(C.shape[0])
    L, info = lapack.dpotrf(C, lower=1, clean=1)
    rcond = lapack.dpocon(L, np.abs(C).sum(axis=0).max(), uplo="L")[0] if info == 0 else 0.0
    if not rcond > 1e-12:
        raise ValueError(
            f"the covariance of {name} is singular (fewer samples than dimensions, or collinear "
            f"columns); pass ridge > 0"
        )
    return L


def fit_cca(X, Y, r, *, ridge: float = 0.0, weights=None, whitening: str = "symmetric") -> CCAFit:
    """Canonical correlation analysis in closed form, optionally regularised and weighted.

    With ``Cxx``, ``Cyy``, ``Cxy`` the (weighted) covariances of the centred
    data, each regularised as ``C + ridge * (tr C / d) * I``, and the SVD
    ``Cxx^{-1/2} Cxy Cyy^{-1/2} = U Sigma V^T``, the encoders are
    ``G1 = Sigma_r^{1/2} U_r^T Cxx^{-1/2}`` and ``G2 = Sigma_r^{1/2} V_r^T Cyy^{-1/2}``.
    Then ``G1^T G2 = Cxx^{-1/2} [Cxx^{-1/2} Cxy Cyy^{-1/2}]_r Cyy^{-1/2}``, the minimiser of
    ``-2 tr(W^T Cxy) + tr(W^T Cxx W Cyy)`` over rank-r matrices ``W`` (the population
    spectral contrastive loss). ``ridge -> infinity`` tends to PLS-SVD
    (:func:`mmcl.fit_svd`) up to scale. Costs three GEMMs with the data, the
    whitening of two d x d covariances and one thin SVD of a d1 x d2 matrix.
    Whitening by the inverse Cholesky factor ``L^{-1}`` (``C = L L^T``) instead of
    ``C^{-1/2}`` gives the same encoders in exact arithmetic (``L^{-1} = Q C^{-1/2}``
    with ``Q`` orthogonal) for a fraction of the flops of an eigendecomposition:
    the choice for many fits of well-conditioned (ridged) covariances.
    Introduced in the chapter `loss_to_svd`.

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
    whitening : {"symmetric", "cholesky"}
        ``C^{-1/2}`` from an eigendecomposition, or ``L^{-1}`` from a Cholesky
        factorisation (refused when its estimated reciprocal condition number is at
        most ``1e-12``).

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
    if whitening not in WHITENINGS:
        raise ValueError(f"whitening must be one of {WHITENINGS}; got {whitening!r}")
    Cxx, Cyy = weighted_cross_covariance(X, X, weights), weighted_cross_covariance(Y, Y, weights)
    Cxy = weighted_cross_covariance(X, Y, weights)
    if whitening == "symmetric":
        Wx, Wy = _inverse_sqrt(Cxx, ridge, "X"), _inverse_sqrt(Cyy, ridge, "Y")
        U, s, Vt = np.linalg.svd(Wx @ Cxy @ Wy, full_matrices=False)
        root = np.sqrt(s[:r])[:, None]
        return CCAFit(G1=root * (U[:, :r].T @ Wx), G2=root * (Vt[:r] @ Wy), correlations=s)
    Lx, Ly = _whitening_factor(Cxx, ridge, "X"), _whitening_factor(Cyy, ridge, "Y")
    # Lx^{-1} Cxy Ly^{-T} has the singular values of Cxx^{-1/2} Cxy Cyy^{-1/2}, and its
    # singular vectors map back through Lx^{-T}, Ly^{-T} to the same encoders.
    B = solve_triangular(Lx, Cxy, lower=True)
    U, s, Vt = np.linalg.svd(solve_triangular(Ly, B.T, lower=True).T, full_matrices=False)
    root = np.sqrt(s[:r])[:, None]
    G1 = solve_triangular(Lx, U[:, :r], lower=True, trans="T").T
    G2 = solve_triangular(Ly, Vt[:r].T, lower=True, trans="T").T
    return CCAFit(G1=root * G1, G2=root * G2, correlations=s)
