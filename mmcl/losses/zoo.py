"""Losses practitioners use, as losses of the similarity matrix: InfoNCE, SigLIP, spectral.

Introduced in the chapter `loss_zoo`. Each loss is a :class:`~mmcl.LogitLoss`
of ``K = X G1^T G2 Y^T`` plus ``R = rho/2 ||G1^T G2||_F^2``, so its gradient is
``-G2 S(beta)^T + rho G2 G2^T G1`` with its own weights ``beta_ii = -dL/dK_ii``,
``beta_ij = dL/dK_ij``. All cost ``O(n^2 r + n d r)`` and never form an
``n x n x d`` array; the spectral loss needs no ``n x n`` matrix at all. All but DCL define
``logit_hvp_operator(K, C)``, the exact Hessian product in ``K``.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_finite, as_nonnegative, as_positive
from .base import LogitLoss, _check

__all__ = [
    "InfoNCELoss",
    "SigLIPLoss",
    "SpectralLoss",
    "DCLLoss",
    "VSELoss",
    "infonce_loss",
    "siglip_loss",
    "spectral_loss",
    "dcl_loss",
    "vse_loss",
]


def _rowdot(A, B):
    return np.einsum("ij,ij->i", A, B)


def _diagonal(n):
    return np.diag_indices(n)


class InfoNCELoss(LogitLoss):
    """One-sided InfoNCE ``x -> y`` (see :func:`infonce_loss`).

    Introduced in the chapter `loss_zoo`. ``dL/dK = (P - I)/n`` with ``P`` the
    row softmax of ``K/tau``: ``beta_ij = P_ij/n``, ``beta_ii = (1 - P_ii)/n``.
    """

    def __init__(self, tau: float = 1.0, rho: float = 0.0):
        self.tau = as_positive(tau, "tau")
        super().__init__(rho=rho, name=f"InfoNCE (tau={self.tau:g})")

    def __repr__(self) -> str:
        return f"InfoNCELoss(tau={self.tau}, rho={self.rho})"

    def _row_exp(self, Z):
        """Value and ``(exp(Z - rowmax), row sums)``; ``Z = K/tau`` is overwritten."""
        zdiag = Z.diagonal().copy()
        m = Z.max(axis=1)
        np.subtract(Z, m[:, None], out=Z)
        np.exp(Z, out=Z)
        s = Z.sum(axis=1)
        return self.tau * float(np.sum(np.log(s) + m - zdiag)) / Z.shape[0], Z, s

    def logit_gradient(self, K):
        n = K.shape[0]
        K *= 1.0 / self.tau
        value, E, s = self._row_exp(K)
        E *= (1.0 / (n * s))[:, None]
        E[_diagonal(n)] -= 1.0 / n
        return value, E

    def embedding_gradient(self, E1, E2):
        """One exponential; ``dL/dK`` is never formed."""
        n = E1.shape[0]
        value, E, s = self._row_exp((E1 * (1.0 / self.tau)) @ E2.T)
        a = (1.0 / (n * s))[:, None]
        return value, a * (E @ E2) - E2 / n, E.T @ (a * E1) - E1 / n

    def logit_hvp_operator(self, K, C):
        """``dK -> D(dL/dK)[dK] = (P*dZ - P * rowsum(P*dZ))/n``, ``dZ = dK/tau``."""
        n = K.shape[0]
        P = np.array(C)
        P[_diagonal(n)] += 1.0 / n  # P/n

        def hvp(dK):
            PZ = P * (dK / self.tau)
            return PZ - P * (n * PZ.sum(axis=1))[:, None]

        return hvp


class SigLIPLoss(LogitLoss):
    """The sigmoid loss of SigLIP (see :func:`siglip_loss`).

    Introduced in the chapter `loss_zoo`. With ``u_ij = -l_ij (t K_ij + b)``,
    ``beta_ij = t sigmoid(u_ij)/n`` on and off the diagonal (all positive).
    """

    def __init__(self, t: float = 10.0, b: float = -10.0, rho: float = 0.0):
        self.t = as_positive(t, "t")
        self.b = as_finite(b, "b")
        super().__init__(rho=rho, name=f"SigLIP (t={self.t:g}, b={self.b:g})")

    def __repr__(self) -> str:
        return f"SigLIPLoss(t={self.t}, b={self.b}, rho={self.rho})"

    def _margins(self, K):
        """``u = -z (t K + b)`` (overwrites ``K``)."""
        K *= self.t
        K += self.b
        d = _diagonal(K.shape[0])
        K[d] = -K[d]
        return K

    def logit_gradient(self, K):
        n = K.shape[0]
        U = self._margins(K)
        e = np.exp(-np.abs(U))  # the one exponential; never overflows
        value = float(np.maximum(U, 0.0).sum() + np.log1p(e).sum()) / n
        C = np.where(U >= 0, 1.0, e)
        C /= 1.0 + e  # sigmoid(U)
        C *= self.t / n
        d = _diagonal(n)
        C[d] = -C[d]
        return value, C

    def logit_hvp_operator(self, K, C):
        """``dK -> t^2 sigmoid(u) sigmoid(-u) dK / n`` (elementwise)."""
        e = np.exp(-np.abs(self._margins(np.array(K, dtype=float))))
        curvature = e / (1.0 + e) ** 2 * (self.t**2 / K.shape[0])
        return lambda dK: curvature * dK


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
        K[_diagonal(n)] = -2.0 / n
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
            out[_diagonal(n)] = 0.0
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


class DCLLoss(LogitLoss):
    """The decoupled contrastive loss (see :func:`dcl_loss`).

    Introduced in the chapter `loss_zoo`. ``beta_ii = 1/n`` for every pair and
    ``2n beta_ij = P~_ij + Q~_ij``, the row and column softmax of ``K/tau``
    over the negatives only.
    """

    def __init__(self, tau: float = 1.0, rho: float = 0.0):
        self.tau = as_positive(tau, "tau")
        super().__init__(rho=rho, name=f"DCL (tau={self.tau:g})")

    def __repr__(self) -> str:
        return f"DCLLoss(tau={self.tau}, rho={self.rho})"

    def logit_gradient(self, K):
        n = K.shape[0]
        K *= 1.0 / self.tau
        zdiag = K.diagonal().copy()
        d = _diagonal(n)
        K[d] = -np.inf
        mr, mc = K.max(axis=1), K.max(axis=0)
        P, Q = np.exp(K - mr[:, None]), np.exp(K - mc[None, :])
        sr, sc = P.sum(axis=1), Q.sum(axis=0)
        lse = np.sum(np.log(sr) + mr - zdiag) + np.sum(np.log(sc) + mc - zdiag)
        C = P * (1.0 / (2 * n * sr))[:, None] + Q * (1.0 / (2 * n * sc))[None, :]
        C[d] = -1.0 / n
        return self.tau * float(lse) / (2 * n), C


class VSELoss(LogitLoss):
    """The hardest-negative hinge of VSE++ (see :func:`vse_loss`).

    Introduced in the chapter `loss_zoo`. ``dL/dK`` is a subgradient: ``1/n``
    on each active hardest negative, ``-1/n`` on the diagonal per active anchor.
    """

    def __init__(self, margin: float = 0.2, rho: float = 0.0):
        self.margin = as_nonnegative(margin, "margin")
        super().__init__(rho=rho, name=f"VSE++ (margin={self.margin:g})")

    def __repr__(self) -> str:
        return f"VSELoss(margin={self.margin}, rho={self.rho})"

    def logit_gradient(self, K):
        n = K.shape[0]
        rows = np.arange(n)
        k = K.diagonal().copy()
        K[rows, rows] = -np.inf
        jr, ic = K.argmax(axis=1), K.argmax(axis=0)
        hr = self.margin + K[rows, jr] - k  # anchor x_i: hardest y_j
        hc = self.margin + K[ic, rows] - k  # anchor y_j: hardest x_i
        ar, ac = hr > 0, hc > 0
        C = np.zeros((n, n))
        np.add.at(C, (rows[ar], jr[ar]), 1.0 / n)
        np.add.at(C, (ic[ac], rows[ac]), 1.0 / n)
        C[rows, rows] = -(ar.astype(float) + ac) / n
        return float(hr[ar].sum() + hc[ac].sum()) / n, C

    def logit_hvp_operator(self, K, C):
        """Zero: the loss is piecewise linear in ``K``."""
        return np.zeros_like


def infonce_loss(tau: float = 1.0, rho: float = 0.0) -> InfoNCELoss:
    """One-sided InfoNCE from x to y, times ``tau``.

    ``L = (tau/n) sum_i [log sum_j exp(K_ij/tau) - K_ii/tau] + R``, evaluated
    with log-sum-exp (finite for ``tau = 1e-3`` and logits of ``1e4``).
    Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    tau : float > 0
        Temperature.
    rho : float >= 0
        Weight of ``R = rho/2 ||G1^T G2||_F^2``.

    Returns
    -------
    InfoNCELoss

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> K = np.array([[1.0, 0.0], [0.0, 1.0]])      # X = Y = I, G1 = G2 = I
    >>> value = mmcl.infonce_loss(tau=1.0).value(np.eye(2), np.eye(2), K, np.eye(2))
    >>> bool(np.isclose(value, np.log(1 + np.exp(-1.0))))
    True
    """
    return InfoNCELoss(tau=tau, rho=rho)


def siglip_loss(t: float = 10.0, b: float = -10.0, rho: float = 0.0) -> SigLIPLoss:
    """The sigmoid loss of SigLIP with inverse temperature ``t`` and bias ``b``.

    ``L = (1/n) sum_{i,j} log(1 + exp(-l_ij (t K_ij + b))) + R`` with
    labels ``l_ii = 1`` and ``l_ij = -1`` (one exponential, finite for any logits).
    Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    t : float > 0
    b : float, finite
    rho : float >= 0

    Returns
    -------
    SigLIPLoss

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> I = np.eye(2)          # K = 0: every term is log(1 + exp(+-b))
    >>> value = mmcl.siglip_loss(t=1.0, b=0.0).value(I, 0 * I, I, I)
    >>> bool(np.isclose(value, 2 * np.log(2)))
    True
    """
    return SigLIPLoss(t=t, b=b, rho=rho)


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


def dcl_loss(tau: float = 1.0, rho: float = 0.0) -> DCLLoss:
    """The decoupled contrastive loss (symmetric, times ``tau``): CLIP without the positive
    in the denominators.

    ``L = tau/(2n) sum_i [lse_{j != i}(K_ij/tau) - K_ii/tau]
    + tau/(2n) sum_j [lse_{i != j}(K_ij/tau) - K_jj/tau] + R``. Unbounded below
    when ``rho = 0`` (growing the diagonal lowers it without limit).
    Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    tau : float > 0
    rho : float >= 0

    Returns
    -------
    DCLLoss

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> I = np.eye(2)          # K = I: each anchor has one negative, at logit 0
    >>> float(mmcl.dcl_loss(tau=1.0).value(I, I, I, I))
    -1.0
    """
    return DCLLoss(tau=tau, rho=rho)


def vse_loss(margin: float = 0.2, rho: float = 0.0) -> VSELoss:
    """The hardest-negative hinge of VSE++, averaged over anchors.

    ``L = (1/n) sum_i [margin + max_{j != i} K_ij - K_ii]_+
    + (1/n) sum_j [margin + max_{i != j} K_ij - K_jj]_+ + R``; piecewise linear,
    so ``gradient`` returns a subgradient. Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    margin : float >= 0
    rho : float >= 0

    Returns
    -------
    VSELoss

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> I = np.eye(2)          # K = I: every hinge is 0.2 + 0 - 1 < 0
    >>> float(mmcl.vse_loss(margin=0.2).value(I, I, I, I))
    0.0
    """
    return VSELoss(margin=margin, rho=rho)
