"""The spectral contrastive loss: a loss of the similarity matrix whose minimiser is CCA.

Introduced in the chapter `loss_zoo`. It is quadratic in ``K = X G1^T G2 Y^T``, so
value, gradient, ``S(beta)`` and Hessian products cost ``O(n r (d + r))`` and never
form an ``n x n`` matrix.
"""

from __future__ import annotations

import numpy as np

from .base import LogitLoss, _check

__all__ = ["SpectralLoss", "spectral_loss"]


def _rowdot(A, B):
    return np.einsum("ij,ij->i", A, B)


class SpectralLoss(LogitLoss):
    """The spectral contrastive loss (see :func:`spectral_loss`).

    Introduced in the chapter `loss_zoo`. ``beta_ii = 2/n`` and
    ``beta_ij = 2 K_ij/(n(n-1))``, which can be negative. Value, gradient and
    ``S(beta)`` cost ``O(n r (d + r))``: ``sum_{i != j} K_ij^2 =
    <E1^T E1, E2^T E2> - sum_i K_ii^2``.
    """

    def __init__(self, rho: float = 0.0):
        super().__init__(rho=rho, name="spectral")

    def logit_gradient(self, K):
        n = K.shape[0]
        k = K.diagonal().copy()
        c = 1.0 / (n * (n - 1))
        value = -2.0 * k.sum() / n + c * (float(np.vdot(K, K)) - k @ k)
        K *= 2 * c
        K[np.diag_indices(n)] = -2.0 / n
        return float(value), K

    def embedding_gradient(self, E1, E2):
        n = E1.shape[0]
        c = 1.0 / (n * (n - 1))
        A, B = E1.T @ E1, E2.T @ E2
        k = _rowdot(E1, E2)
        value = -2.0 * k.sum() / n + c * (float(np.vdot(A, B)) - k @ k)
        dE1 = (2 * c) * (E1 @ B - k[:, None] * E2) - (2.0 / n) * E2
        dE2 = (2 * c) * (E2 @ A - k[:, None] * E1) - (2.0 / n) * E1
        return float(value), dE1, dE2

    def embedding_hvp_operator(self, E1, E2):
        """Value, gradients and Hessian product in ``O(n r^2)``: no n x n matrix."""
        n = E1.shape[0]
        c = 1.0 / (n * (n - 1))
        A, B = E1.T @ E1, E2.T @ E2
        k = _rowdot(E1, E2)
        value, dE1, dE2 = self.embedding_gradient(E1, E2)

        def hvp(D1, D2):
            dk = (_rowdot(D1, E2) + _rowdot(E1, D2))[:, None]
            dA, dB = E1.T @ D1, E2.T @ D2
            H1 = (2 * c) * (D1 @ B + E1 @ (dB + dB.T) - dk * E2 - k[:, None] * D2) - (2.0 / n) * D2
            H2 = (2 * c) * (D2 @ A + E2 @ (dA + dA.T) - dk * E1 - k[:, None] * D1) - (2.0 / n) * D1
            return H1, H2

        return value, dE1, dE2, hvp

    def logit_hvp_operator(self, K, C):
        """``dK -> 2 dK/(n(n-1))`` off the diagonal, 0 on it."""
        n = K.shape[0]

        def hvp(dK):
            out = dK * (2.0 / (n * (n - 1)))
            out[np.diag_indices(n)] = 0.0
            return out

        return hvp

    def cross_covariance(self, G1, G2, X, Y) -> np.ndarray:
        """``S = (2/n) X^T Y - 2/(n(n-1)) [(X^T E1)(E2^T Y) - X^T diag(k) Y]``: no n x n matrix."""
        G1, G2, X, Y = _check(G1, G2, X, Y)
        n = X.shape[0]
        E1, E2 = X @ G1.T, Y @ G2.T
        k = _rowdot(E1, E2)
        c2 = 2.0 / (n * (n - 1))
        return (2.0 / n) * (X.T @ Y) - c2 * ((X.T @ E1) @ (E2.T @ Y) - (X * k[:, None]).T @ Y)


def spectral_loss(rho: float = 0.0) -> SpectralLoss:
    """The spectral contrastive loss; with linear encoders its minimiser is CCA.

    ``L = -(2/n) sum_i K_ii + 1/(n(n-1)) sum_{i != j} K_ij^2 + R``. Centre the
    data: the loss is not translation invariant. Introduced in the chapter
    `loss_zoo`.

    Parameters
    ----------
    rho : float >= 0

    Returns
    -------
    SpectralLoss

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> K = np.array([[2.0, 1.0], [-1.0, 3.0]])     # X = K, Y = G1 = G2 = I
    >>> value = mmcl.spectral_loss().value(np.eye(2), np.eye(2), K, np.eye(2))
    >>> float(value)       # -(2/2)(2 + 3) + (1 + 1)/2
    -4.0
    """
    return SpectralLoss(rho=rho)
