"""Losses practitioners use, as losses of the similarity matrix: InfoNCE, SigLIP, DCL, VSE++.

Introduced in the chapter `loss_zoo`. Each loss is a :class:`~mmcl.LogitLoss`
of ``K = X G1^T G2 Y^T`` plus ``R = rho/2 ||G1^T G2||_F^2``, so its gradient is
``-G2 S(beta)^T + rho G2 G2^T G1`` with its own weights ``beta_ii = -dL/dK_ii``,
``beta_ij = dL/dK_ij``. All cost ``O(n^2 r + n d r)`` and never form an
``n x n x d`` array (the spectral loss, in :mod:`mmcl.losses.spectral`, needs no
``n x n`` matrix at all). Each defines
``logit_hvp_operator(K, C)``, the exact Hessian product in ``K``. InfoNCE, SigLIP and DCL
take one ``n x n`` exponential for value and gradient (DCL shares CLIP's softmaxes).
"""

from __future__ import annotations

import numpy as np

from .._checks import as_finite, as_nonnegative, as_positive
from ._softmax import apply_gradient, gradient_array, probabilities, softmax_hvp, softmax_parts
from .base import LogitLoss

__all__ = [
    "InfoNCELoss",
    "SigLIPLoss",
    "DCLLoss",
    "VSELoss",
    "infonce_loss",
    "siglip_loss",
    "dcl_loss",
    "vse_loss",
]


def _diagonal(n):
    return np.diag_indices(n)


#: Factors ``1 + exp(-|u|)`` lie in [1, 2]: a product of 64 stays below 2^64.
_BLOCK = 64


def _softplus_sum_and_sigmoid(U):
    """``sum_ij log(1 + exp(U_ij))`` and ``sigmoid(U)`` (a new array) with one exponential.

    With ``e = exp(-|u|)`` in (0, 1], ``log(1 + exp(u)) = max(u, 0) + log(1 + e)``
    and ``sigmoid(u) = 1/2 + sign(u) (1/(1 + e) - 1/2)``. ``sum max(u, 0)`` is
    ``(sum u + sum |u|)/2``; the logarithms are taken of products of ``_BLOCK``
    factors ``1 + e`` (no overflow; relative rounding below ``_BLOCK`` machine
    epsilons), so there are ``_BLOCK`` times fewer logarithms than entries. Errors
    are absolute: about ``eps`` per entry in the sum, and ``eps`` in a sigmoid near
    0 (whose relative precision is lost). ``U`` (n x n, or a stack (B, n, n) with
    sums (B,)) is not modified.
    """
    lead = U.shape[:-2]
    A = np.abs(U)
    total = 0.5 * (U.sum(axis=(-2, -1)) + A.sum(axis=(-2, -1)))
    np.negative(A, out=A)
    np.exp(A, out=A)
    A += 1.0
    flat = A.reshape(*lead, -1)
    m = flat.shape[-1] - flat.shape[-1] % _BLOCK
    total += np.log(np.prod(flat[..., :m].reshape(*lead, _BLOCK, -1), axis=-2)).sum(axis=-1)
    total += np.log(np.prod(flat[..., m:], axis=-1))
    np.reciprocal(A, out=A)  # sigmoid(|u|)
    A -= 0.5
    np.copysign(A, U, out=A)
    A += 0.5
    return total, A


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

    @staticmethod
    def _row_exp(Z):
        """Value over ``tau`` and ``(exp(Z - rowmax), row sums)`` of ``Z = K/tau``
        (overwritten; one problem, or a stack with values (B,))."""
        zdiag = np.diagonal(Z, axis1=-2, axis2=-1).copy()
        m = Z.max(axis=-1)
        np.subtract(Z, m[..., None], out=Z)
        np.exp(Z, out=Z)
        s = Z.sum(axis=-1)
        return np.sum(np.log(s) + m - zdiag, axis=-1) / Z.shape[-1], Z, s

    def logit_gradient(self, K):
        n = K.shape[0]
        K *= 1.0 / self.tau
        value, E, s = self._row_exp(K)
        E *= (1.0 / (n * s))[:, None]
        E[_diagonal(n)] -= 1.0 / n
        return self.tau * float(value), E

    def embedding_gradient(self, E1, E2):
        """One exponential; ``dL/dK`` is never formed."""
        value, dE1, dE2 = self.stacked_embedding_gradient(E1, E2, self.tau)
        return float(value), dE1, dE2

    @classmethod
    def stacked_embedding_gradient(cls, E1, E2, tau):
        """:meth:`embedding_gradient` of one problem (E1, E2 of shape (n, r), ``tau``
        a float) or of a stack (shapes (B, n, r), ``tau`` of shape (B,)):
        ``(values, dE1, dE2)``."""
        tau = np.asarray(tau, dtype=float)
        n = E1.shape[-2]
        value, E, s = cls._row_exp((E1 * (1.0 / tau)[..., None, None]) @ np.swapaxes(E2, -1, -2))
        a = (1.0 / (n * s))[..., None]
        return tau * value, a * (E @ E2) - E2 / n, np.swapaxes(E, -1, -2) @ (a * E1) - E1 / n

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
        """Value and ``dL/dK``, each weight to full relative precision (even ``1e-300``)."""
        n = K.shape[0]
        U = self._margins(K)
        e = np.exp(-np.abs(U))  # never overflows
        value = float(np.maximum(U, 0.0).sum() + np.log1p(e).sum()) / n
        C = np.where(U >= 0, 1.0, e)
        C /= 1.0 + e  # sigmoid(U)
        C *= self.t / n
        d = _diagonal(n)
        C[d] = -C[d]
        return value, C

    def embedding_gradient(self, E1, E2):
        """One exponential and no elementwise logarithm (see :func:`_softplus_sum_and_sigmoid`).

        The weights are exact to ``eps t/n`` in absolute terms (so the gradient to
        ``eps`` relative to its scale), not elementwise as in :meth:`logit_gradient`.
        """
        self._check_memory(E1.shape[0], 2, "value_and_gradient")
        value, dE1, dE2 = self.stacked_embedding_gradient(E1, E2, self.t, self.b)
        return float(value), dE1, dE2

    @staticmethod
    def stacked_embedding_gradient(E1, E2, t, b):
        """:meth:`embedding_gradient` of one problem (E1, E2 of shape (n, r), ``t`` and
        ``b`` floats) or of a stack (shapes (B, n, r), ``t`` and ``b`` of shape (B,)):
        ``(values, dE1, dE2)``."""
        t, b = np.asarray(t, dtype=float), np.asarray(b, dtype=float)
        n = E1.shape[-2]
        U = (E1 * t[..., None, None]) @ np.swapaxes(E2, -1, -2)
        U += b[..., None, None]
        d = np.arange(n)
        U[..., d, d] = -U[..., d, d]  # u_ij = -z_ij (t K_ij + b)
        total, S = _softplus_sum_and_sigmoid(U)
        S[..., d, d] = -S[..., d, d]
        c = (t / n)[..., None, None]
        return total / n, c * (S @ E2), c * (np.swapaxes(S, -1, -2) @ E1)

    def logit_hvp_operator(self, K, C):
        """``dK -> t^2 sigmoid(u) sigmoid(-u) dK / n`` (elementwise)."""
        e = np.exp(-np.abs(self._margins(np.array(K, dtype=float))))
        curvature = e / (1.0 + e) ** 2 * (self.t**2 / K.shape[0])
        return lambda dK: curvature * dK


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

    def _softmax(self, Z):
        """CLIP's one-exponential softmaxes of ``Z = K/tau`` (overwritten) with the
        diagonal masked: ``P_ii = Q_ii = 0``, so ``(P + Q)/(2n) - I/n`` is ``dL/dK``."""
        d = _diagonal(Z.shape[0])
        positives = Z[d].copy()
        Z[d] = -np.inf
        return softmax_parts(Z, positives)

    def logit_gradient(self, K):
        K *= 1.0 / self.tau
        sm = self._softmax(K)
        return self.tau * sm.value, gradient_array(sm)

    def embedding_gradient(self, E1, E2):
        """One exponential; ``dL/dK`` is never formed."""
        self._check_memory(E1.shape[0], 1, "value_and_gradient")
        sm = self._softmax((E1 * (1.0 / self.tau)) @ E2.T)
        dE1, dE2 = apply_gradient(sm, E2, E1)
        return self.tau * sm.value, dE1, dE2

    def logit_hvp_operator(self, K, C):
        """CLIP's operator with the softmaxes over the negatives (``K`` not modified)."""
        P, Q = probabilities(self._softmax(K * (1.0 / self.tau)))
        return softmax_hvp(P, Q, 1.0 / self.tau)


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
