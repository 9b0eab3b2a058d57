"""CLIP with one n x n exponential: value, gradient, weights and Hessian products.

Introduced in the chapter `loss_to_svd`. With ``Z = K / tau``, row maxima
``m_i`` and ``M = max_i m_i``, the only n x n exponential is the row-shifted
``E_ij = exp(Z_ij - m_i)``. Its row sums ``r_i`` give the row softmax
``P = diag(1/r) E``; reweighting the rows by ``w_i = exp(m_i - M)`` gives the
column sums ``s_j = sum_i w_i E_ij = sum_i exp(Z_ij - M)`` and the column
softmax ``Q = diag(w) E diag(1/s)``. Then ``dL/dK = (P + Q)/(2n) - I/n`` is
applied to thin matrices without being formed.

Where a column's log-sum-exp lies more than ``_COLUMN_RANGE`` below ``M``
(only for tiny ``tau`` with huge logits), its reweighted sum could underflow,
so those columns get an exponential of their own. An O(n) test on the
diagonal (``c_j >= Z_jj``) proves this is not needed in the usual case.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import as_positive
from .base import _check
from .family import ContrastiveLoss

__all__ = ["CLIPLoss", "clip_loss"]

# Terms dropped by underflow are below e^-708 each; with columns at most 500
# below M they are below n e^-208 of the column sum, and 1/(2n s_j) stays
# below e^500 ~ 1e217.
_COLUMN_RANGE = 500.0


class _Softmax(NamedTuple):
    """Both softmaxes of ``Z`` from one exponential (see the module docstring)."""

    E: np.ndarray  # (n, n) exp(Z - m_i), the caller's Z overwritten
    r: np.ndarray  # (n,) row sums of E
    w: np.ndarray  # (n,) exp(m_i - M)
    s: np.ndarray  # (n,) column sums of exp(Z - M), or of F for the separate columns
    separate: np.ndarray  # (n,) bool: columns with their own exponential
    F: np.ndarray | None  # (n, k) exp(Z[:, separate] - c), unnormalised
    value: float  # the symmetric cross-entropy of Z (not yet times tau)


def _softmax(Z: np.ndarray) -> _Softmax:
    """Overwrite ``Z`` (n x n) with ``exp(Z - m_i)``; row and column sums and the loss."""
    n = Z.shape[0]
    zdiag = Z.diagonal().copy()
    m = Z.max(axis=1)
    M = m.max()
    separate = np.zeros(n, dtype=bool)
    F = c = None
    if M - zdiag.min() > _COLUMN_RANGE:
        colmax = Z.max(axis=0)
        separate = M - colmax > _COLUMN_RANGE
        if separate.any():
            c = colmax[separate]
            F = Z[:, separate] - c  # a copy, taken before Z is overwritten
            np.exp(F, out=F)
    np.subtract(Z, m[:, None], out=Z)
    np.exp(Z, out=Z)
    r = Z.sum(axis=1)
    w = np.exp(m - M)
    s = w @ Z
    lse = np.log(s) + M if F is None else np.empty(n)
    if F is not None:
        keep = ~separate
        s[separate] = F.sum(axis=0)
        lse[keep] = np.log(s[keep]) + M
        lse[separate] = np.log(s[separate]) + c
    value = (np.sum(np.log(r) + m - zdiag) + np.sum(lse - zdiag)) / (2 * n)
    return _Softmax(Z, r, w, s, separate, F, float(value))


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

    def _softmax(self, K: np.ndarray) -> _Softmax:
        K *= 1.0 / self.tau
        return _softmax(K)

    def _apply(self, sm: _Softmax, right, left):
        """``C @ right`` and ``C^T @ left`` (n x k each) with ``C = dL/dK``, from the parts."""
        n = sm.E.shape[0]
        a = 1.0 / (2 * n * sm.r)
        b = np.where(sm.separate, 0.0, 1.0 / (2 * n * sm.s))
        k = right.shape[1]
        T = sm.E @ np.hstack([right, b[:, None] * right])
        out_right = a[:, None] * T[:, :k] + sm.w[:, None] * T[:, k:] - right / n
        if left is None:
            out_left = None
        else:
            k = left.shape[1]
            T = sm.E.T @ np.hstack([a[:, None] * left, sm.w[:, None] * left])
            out_left = T[:, :k] + b[:, None] * T[:, k:] - left / n
        if sm.F is not None:
            bb = 1.0 / (2 * n * sm.s[sm.separate])
            out_right += sm.F @ (bb[:, None] * right[sm.separate])
            if left is not None:
                out_left[sm.separate] += bb[:, None] * (sm.F.T @ left)
        return out_right, out_left

    def embedding_gradient(self, E1, E2):
        """Value and embedding gradients with one n x n exponential.

        ``dE1 = C E2 = a*(E E2) + w*(E (b*E2)) - E2/n`` and
        ``dE2 = C^T E1 = E^T (a*E1) + b*(E^T (w*E1)) - E1/n`` with
        ``a_i = 1/(2n r_i)`` and ``b_j = 1/(2n s_j)``: two products of ``E``
        with 2r columns; ``dL/dK`` is never formed.
        """
        self._check_memory(E1.shape[0], 1, "value_and_gradient")
        sm = self._softmax(E1 @ E2.T)
        dE1, dE2 = self._apply(sm, E2, E1)
        return self.tau * sm.value, dE1, dE2

    def _softmaxes(self, K):
        """Value, ``P`` (overwriting ``K``) and ``Q``: both softmaxes of ``K/tau`` as arrays."""
        sm = self._softmax(K)
        Q = sm.E * sm.w[:, None]
        Q *= np.where(sm.separate, 0.0, 1.0 / sm.s)[None, :]
        if sm.F is not None:
            Q[:, sm.separate] = sm.F / sm.s[sm.separate]
        P = sm.E
        P /= sm.r[:, None]
        return self.tau * sm.value, P, Q

    def logit_gradient(self, K):
        """``tau`` times the symmetric cross-entropy of ``K/tau`` and its gradient."""
        n = K.shape[0]
        value, P, Q = self._softmaxes(K)
        P += Q
        P *= 1.0 / (2 * n)
        P[np.diag_indices(n)] -= 1.0 / n
        return value, P

    def cross_covariance(self, G1, G2, X, Y) -> np.ndarray:
        """``S(beta) = -X^T (dL/dK) Y`` (d1 x d2) with one n x n array."""
        G1, G2, X, Y = _check(G1, G2, X, Y)
        self._check_memory(X.shape[0], 1, "cross_covariance")
        sm = self._softmax((X @ G1.T) @ (Y @ G2.T).T)
        return -(X.T @ self._apply(sm, Y, None)[0])

    def logit_hvp_operator(self, K, C):
        """``dK -> (P*(dZ - pbar) + Q*(dZ - qbar^T))/(2n)``, ``dZ = dK/tau``.

        ``pbar_i = sum_j P_ij dZ_ij`` and ``qbar_j = sum_i Q_ij dZ_ij``; ``K`` is
        not modified.
        """
        n, inv = K.shape[0], 1.0 / self.tau
        _, P, Q = self._softmaxes(K.copy())

        def hvp(dK):
            dZ = dK * inv
            PZ = P * dZ
            out = PZ - P * PZ.sum(axis=1)[:, None]
            np.multiply(Q, dZ, out=PZ)
            out += PZ
            out -= Q * PZ.sum(axis=0)[None, :]
            out *= 1.0 / (2 * n)
            return out

        return hvp

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
