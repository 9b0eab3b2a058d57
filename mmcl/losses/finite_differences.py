"""Finite-difference gradients and Hessians of a loss, for checking analytic ones.

Introduced in the chapter `loss_to_svd`.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_positive
from .base import LogitLoss, _check

__all__ = ["finite_difference_gradient", "finite_difference_hessian"]


def _check_loss(loss):
    if not isinstance(loss, LogitLoss):
        raise TypeError(
            f"loss must be a loss of mmcl (e.g. mmcl.clip_loss()); got {type(loss).__name__}"
        )


def finite_difference_gradient(loss: LogitLoss, G1, G2, X, Y, *, h: float = 1e-6):
    """Central finite-difference gradient of ``loss.value`` (for checking).

    Costs ``2 r (d1 + d2)`` loss evaluations. Introduced in the chapter
    `loss_to_svd`.

    Parameters
    ----------
    loss : LogitLoss
    G1 : array, shape (r, d1)
    G2 : array, shape (r, d2)
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
    h : float > 0
        Step.

    Returns
    -------
    (dG1, dG2) : ndarrays of the shapes of G1 and G2

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    >>> G1, G2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    >>> loss = mmcl.clip_loss(tau=0.5)
    >>> num = mmcl.finite_difference_gradient(loss, G1, G2, X, Y)
    >>> bool(np.allclose(num[0], loss.gradient(G1, G2, X, Y)[0], atol=1e-7))
    True
    """
    _check_loss(loss)
    G1, G2, X, Y = _check(G1, G2, X, Y)
    h = as_positive(h, "h")
    theta, k = np.concatenate([G1.ravel(), G2.ravel()]), G1.size

    def f(th):
        A, B = th[:k].reshape(G1.shape), th[k:].reshape(G2.shape)
        return loss.validated_value_and_gradient(A, B, X, Y)[0]  # inputs checked above

    grad = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        grad[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return grad[:k].reshape(G1.shape), grad[k:].reshape(G2.shape)


def finite_difference_hessian(loss: LogitLoss, G1, G2, X, Y, *, h: float = 1e-5) -> np.ndarray:
    """Hessian of the loss by central differences of its analytic gradient.

    The parameters are ``theta = (G1.ravel(), G2.ravel())``; the result is
    symmetrised. Every loss of the book is invariant under
    ``(G1, G2) -> (A G1, A^{-T} G2)`` for invertible ``A`` (r x r), so at a
    critical point ``r^2`` eigenvalues vanish: the point is a local minimum
    when all others are positive. Costs ``2 r (d1 + d2)`` gradient
    evaluations. Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    loss : LogitLoss
    G1 : array, shape (r, d1)
    G2 : array, shape (r, d2)
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
    h : float > 0
        Step.

    Returns
    -------
    ndarray, shape (r (d1 + d2), r (d1 + d2))

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))
    >>> fit = mmcl.fit_svd(X, Y, 1, rho=1.0)
    >>> H = mmcl.finite_difference_hessian(mmcl.linear_loss(1.0), fit.G1, fit.G2, X, Y)
    >>> eigenvalues = np.linalg.eigvalsh(H)   # one zero (r^2 = 1), the rest positive
    >>> bool(abs(eigenvalues[0]) < 1e-6 and eigenvalues[1] > 0)
    True
    """
    _check_loss(loss)
    G1, G2, X, Y = _check(G1, G2, X, Y)
    h = as_positive(h, "h")
    theta, k = np.concatenate([G1.ravel(), G2.ravel()]), G1.size

    def grad(th):
        A, B = th[:k].reshape(G1.shape), th[k:].reshape(G2.shape)
        dG1, dG2 = loss.validated_value_and_gradient(A, B, X, Y)[1]  # inputs checked above
        return np.concatenate([dG1.ravel(), dG2.ravel()])

    H = np.empty((theta.size, theta.size))
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        H[i] = (grad(theta + e) - grad(theta - e)) / (2 * h)
    return 0.5 * (H + H.T)
