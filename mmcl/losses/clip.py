"""CLIP with one n x n exponential: value, gradient, weights and Hessian products.

Introduced in the chapter `loss_to_svd`. The softmaxes of ``K/tau`` come from
one exponential (:mod:`mmcl.losses._softmax`); ``dL/dK = (P + Q)/(2n) - I/n``
is applied to thin matrices without being formed.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_positive
from ._softmax import (
    Softmax,
    apply_gradient,
    gradient_array,
    probabilities,
    softmax_hvp,
    softmax_parts,
)
from .base import _check
from .family import ContrastiveLoss

__all__ = ["CLIPLoss", "clip_loss"]


class CLIPLoss(ContrastiveLoss):
    """CLIP: ``psi(t) = exp(t/tau)``, ``phi(u) = tau log(1 + u)``.

    The loss equals ``tau`` times the symmetric cross-entropy of CLIP,

        ``L = tau/(2n) sum_i [lse_j(K_ij/tau) - K_ii/tau]
        + tau/(2n) sum_j [lse_i(K_ij/tau) - K_jj/tau] + R``,

    and ``dL/dK = (P + Q)/(2n) - I/n`` with ``P`` (``Q``) the row (column)
    softmax of ``K/tau``. Value and gradient take one n x n exponential and
    hold one n x n array (the weights two); the result stays finite for tiny
    ``tau`` and huge logits (log-sum-exp). The Hessian products are exact
    (``embedding_hvp_operator``). Introduced in the chapter `loss_to_svd`.
    """

    logit_arrays = 2

    def __init__(self, tau: float = 1.0, rho: float = 0.0):
        self.tau = as_positive(tau, "tau")
        t = self.tau
        super().__init__(
            phi=lambda u: t * np.log1p(u),
            dphi=lambda u: t / (1.0 + u),
            psi=lambda s: np.exp(s / t),
            dpsi=lambda s: np.exp(s / t) / t,
            rho=rho,
            name=f"CLIP (tau={t:g})",
        )

    def __repr__(self) -> str:
        return f"CLIPLoss(tau={self.tau}, rho={self.rho})"

    def _softmax(self, K: np.ndarray) -> Softmax:
        K *= 1.0 / self.tau
        return softmax_parts(K)

    def embedding_gradient(self, E1, E2):
        """Value and embedding gradients with one n x n exponential.

        ``dE1 = C E2 = a*(E E2) + w*(E (b*E2)) - E2/n`` and
        ``dE2 = C^T E1 = E^T (a*E1) + b*(E^T (w*E1)) - E1/n`` with
        ``a_i = 1/(2n r_i)`` and ``b_j = 1/(2n s_j)``: two products of ``E``
        with 2r columns; ``dL/dK`` is never formed.
        """
        self._check_memory(E1.shape[0], 1, "value_and_gradient")
        sm = self._softmax(E1 @ E2.T)
        dE1, dE2 = apply_gradient(sm, E2, E1)
        return self.tau * sm.value, dE1, dE2

    @staticmethod
    def stacked_embedding_gradient(E1, E2, tau):
        """:meth:`embedding_gradient` of a stack of problems, each with its temperature.

        Parameters
        ----------
        E1, E2 : ndarray, shape (B, n, r)
        tau : ndarray, shape (B,)

        Returns
        -------
        (values (B,), dE1, dE2) or None
            None where a column would need an exponential of its own (tiny
            ``tau`` with huge logits): evaluate those problems one by one.
        """
        Z = E1 @ np.swapaxes(E2, 1, 2)
        Z *= (1.0 / tau)[:, None, None]
        sm = softmax_parts(Z)
        if sm is None:
            return None
        dE1, dE2 = apply_gradient(sm, E2, E1)
        return tau * sm.value, dE1, dE2

    def logit_gradient(self, K):
        """``tau`` times the symmetric cross-entropy of ``K/tau`` and its gradient."""
        sm = self._softmax(K)
        return self.tau * sm.value, gradient_array(sm)

    def cross_covariance(self, G1, G2, X, Y) -> np.ndarray:
        """``S(beta) = -X^T (dL/dK) Y`` (d1 x d2) with one n x n array."""
        G1, G2, X, Y = _check(G1, G2, X, Y)
        self._check_memory(X.shape[0], 1, "cross_covariance")
        sm = self._softmax((X @ G1.T) @ (Y @ G2.T).T)
        return -(X.T @ apply_gradient(sm, Y, None)[0])

    def logit_hvp_operator(self, K, C):
        """``dK -> (P*(dZ - pbar) + Q*(dZ - qbar^T))/(2n)``, ``dZ = dK/tau``.

        ``pbar_i = sum_j P_ij dZ_ij`` and ``qbar_j = sum_i Q_ij dZ_ij``; ``K`` is
        not modified.
        """
        return softmax_hvp(*probabilities(self._softmax(K.copy())), 1.0 / self.tau)

    def embedding_hvp_operator(self, E1, E2):
        """Exact Hessian products at the embedding level with two n x n arrays.

        With ``F = E * dZ`` (``dZ = (D1 E2^T + E1 D2^T)/tau``), the row and
        column means of the derivative of the softmaxes are ``pbar = (F 1)/r``
        and ``qbar = (F^T w)/s``, and every term of ``H1 = dC E2 + C D2`` and
        ``H2 = dC^T E1 + C^T D1`` is a product of ``F`` or ``E`` with at most
        3r columns. Columns with their own exponential (tiny ``tau``, huge
        logits) take the n x n route of :meth:`logit_hvp_operator`.
        """
        n = E1.shape[0]
        self._check_memory(n, 2, "second_order")
        sm = self._softmax(E1 @ E2.T)
        if sm.F is not None:
            return super().embedding_hvp_operator(E1, E2)
        E, ri, w, si, c, inv = sm.E, 1.0 / sm.r, sm.w, 1.0 / sm.s, 1.0 / (2 * n), 1.0 / self.tau
        k = E1.shape[1]
        T = E @ np.hstack([E2, si[:, None] * E2])  # E E2, E (si E2)
        U = E.T @ np.hstack([ri[:, None] * E1, w[:, None] * E1])  # E^T (ri E1), E^T (w E1)
        EE2, EtwE1 = T[:, :k], U[:, k:]
        dE1 = c * (ri[:, None] * EE2 + w[:, None] * T[:, k:]) - E2 / n
        dE2 = c * (U[:, :k] + si[:, None] * EtwE1) - E1 / n
        ones = np.ones((n, 1))
        buffer = np.empty_like(E)

        def hvp(D1, D2):
            F = np.matmul(np.hstack([D1, E1]) * inv, np.hstack([E2, D2]).T, out=buffer)
            F *= E
            A = F @ np.hstack([E2, si[:, None] * E2, ones])
            B = F.T @ np.hstack([ri[:, None] * E1, w[:, None] * E1, w[:, None]])
            pr = ri * A[:, -1] * ri  # pbar_i / r_i
            qs = si * B[:, -1] * si  # qbar_j / s_j
            G = E @ np.hstack([D2, si[:, None] * D2, qs[:, None] * E2])
            H = E.T @ np.hstack([ri[:, None] * D1, w[:, None] * D1, pr[:, None] * E1])
            H1 = ri[:, None] * (A[:, :k] + G[:, :k]) - pr[:, None] * EE2
            H1 += w[:, None] * (A[:, k : 2 * k] + G[:, k : 2 * k] - G[:, 2 * k :])
            H2 = B[:, :k] + H[:, :k] - H[:, 2 * k :] - qs[:, None] * EtwE1
            H2 += si[:, None] * (B[:, k : 2 * k] + H[:, k : 2 * k])
            return c * H1 - D2 / n, c * H2 - D1 / n

        return self.tau * sm.value, dE1, dE2, hvp


def clip_loss(tau: float = 1.0, rho: float = 0.0) -> CLIPLoss:
    """The CLIP loss with temperature ``tau`` and regulariser weight ``rho``.

    Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    tau : float > 0
        Temperature.
    rho : float >= 0
        Weight of ``rho/2 ||G1^T G2||_F^2``.

    Returns
    -------
    CLIPLoss
        With methods ``value``, ``gradient``, ``weights`` and
        ``cross_covariance``, each taking ``(G1, G2, X, Y)`` with ``G1`` of
        shape (r, d1), ``G2`` (r, d2), ``X`` (n, d1), ``Y`` (n, d2).

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(8, 4)), rng.normal(size=(8, 3))
    >>> G1, G2 = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
    >>> loss = mmcl.clip_loss(tau=0.5, rho=0.1)
    >>> dG1, dG2 = loss.gradient(G1, G2, X, Y)
    >>> dG1.shape, dG2.shape
    ((2, 4), (2, 3))
    """
    return CLIPLoss(tau=tau, rho=rho)
