"""The (phi, psi) family of contrastive losses: CLIP and the linear loss.

Introduced in the chapter `loss_to_svd`. For increasing, differentiable
``phi`` and ``psi`` and similarities ``s_ij = <G1 x_i, G2 y_j>`` (the logit
matrix ``K = X G1^T G2 Y^T``), the loss is::

    L = 1/(2n) sum_i phi( sum_{j != i} psi(s_ij - s_ii) )     (anchor x_i)
      + 1/(2n) sum_i phi( sum_{j != i} psi(s_ji - s_ii) )     (anchor y_i)
      + rho/2 ||G1^T G2||_F^2
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._checks import as_pair, as_positive
from .base import LogitLoss, _check

__all__ = [
    "ContrastiveLoss",
    "CLIPLoss",
    "LinearLoss",
    "clip_loss",
    "linear_loss",
    "linear_cross_covariance",
    "weighted_cross_covariance",
]


class ContrastiveLoss(LogitLoss):
    """A loss of the contrastive family with user-supplied ``phi`` and ``psi``.

    Introduced in the chapter `loss_to_svd`. The implementation forms the
    n x n logit matrix and applies the formulas of the chapter literally;
    :class:`CLIPLoss` and :class:`LinearLoss` are stable and fast special
    cases.

    Parameters
    ----------
    phi, dphi : callable
        Outer function and its derivative, applied elementwise to arrays.
    psi, dpsi : callable
        Inner function and its derivative, applied elementwise to arrays.
    rho : float, default 0
        Weight of ``R = rho/2 ||G1^T G2||_F^2``; must be >= 0.
    name : str
        Label used in figures and ``repr``.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> softplus = mmcl.ContrastiveLoss(phi=lambda u: u, dphi=np.ones_like,
    ...     psi=lambda t: np.logaddexp(0, t), dpsi=lambda t: 1 / (1 + np.exp(-t)))
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    >>> G1, G2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    >>> softplus.weights(G1, G2, X, Y).shape
    (6, 6)
    """

    def __init__(
        self,
        phi: Callable,
        dphi: Callable,
        psi: Callable,
        dpsi: Callable,
        rho: float = 0.0,
        name: str = "contrastive",
    ):
        for label, f in (("phi", phi), ("dphi", dphi), ("psi", psi), ("dpsi", dpsi)):
            if not callable(f):
                raise TypeError(f"{label} must be callable; got {type(f).__name__}")
        super().__init__(rho=rho, name=name)
        self.phi, self.dphi, self.psi, self.dpsi = phi, dphi, psi, dpsi

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, rho={self.rho})"

    def logit_gradient(self, K):
        """Data term and ``dL/dK`` of the family, from the formulas of the chapter."""
        n = K.shape[0]
        off = ~np.eye(n, dtype=bool)
        Drow = K - np.diag(K)[:, None]  # s_ij - s_ii
        Dcol = K - np.diag(K)[None, :]  # s_ij - s_jj
        A = np.where(off, self.psi(Drow), 0.0).sum(axis=1)
        B = np.where(off, self.psi(Dcol), 0.0).sum(axis=0)
        a = np.where(off, self.dphi(A)[:, None] * self.dpsi(Drow), 0.0)
        b = np.where(off, self.dphi(B)[None, :] * self.dpsi(Dcol), 0.0)
        C = (a + b) / (2 * n)
        C[np.diag_indices(n)] = -(a.sum(axis=1) + b.sum(axis=0)) / (2 * n)
        value = (np.sum(self.phi(A)) + np.sum(self.phi(B))) / (2 * n)
        return float(value), C


class CLIPLoss(ContrastiveLoss):
    """CLIP: ``psi(t) = exp(t/tau)``, ``phi(u) = tau log(1 + u)``.

    The loss equals ``tau`` times the symmetric cross-entropy of CLIP, and is
    evaluated with log-sum-exp so it stays finite for tiny ``tau`` and huge
    logits. Introduced in the chapter `loss_to_svd`.
    """

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

    def logit_gradient(self, K):
        """``tau`` times the symmetric cross-entropy of ``K/tau`` and its gradient."""
        n = K.shape[0]
        Z = K
        Z *= 1.0 / self.tau
        zdiag = np.diag(Z).copy()
        # Row softmax P (anchor x_i) and column softmax Q (anchor y_j).
        mr = Z.max(axis=1)
        P = np.subtract(Z, mr[:, None])
        np.exp(P, out=P)
        sr = P.sum(axis=1)
        mc = Z.max(axis=0)
        np.subtract(Z, mc[None, :], out=Z)
        np.exp(Z, out=Z)
        sc = Z.sum(axis=0)
        value = (
            self.tau * (np.sum(np.log(sr) + mr - zdiag) + np.sum(np.log(sc) + mc - zdiag)) / (2 * n)
        )
        # dL/dK = (P + Q)/(2n) - I/n, P and Q row- and column-normalised.
        P *= (1.0 / (2 * n * sr))[:, None]
        Z *= (1.0 / (2 * n * sc))[None, :]
        P += Z
        P[np.diag_indices(n)] -= 1.0 / n
        return float(value), P


class LinearLoss(ContrastiveLoss):
    """Linear loss: ``psi(t) = t``, ``phi(u) = u/(n - 1)``.

    ``L = -(1/n) sum_i s_ii + 1/(n(n-1)) sum_{i != j} s_ij + R``. Its weights
    are constant and its value and gradient cost ``O(n r (d1 + d2))``: no
    n x n matrix is formed. Introduced in the chapter `loss_to_svd`.
    """

    def __init__(self, rho: float = 0.0):
        super().__init__(
            phi=lambda u: u,
            dphi=np.ones_like,
            psi=lambda t: t,
            dpsi=np.ones_like,
            rho=rho,
            name="linear",
        )

    def __repr__(self) -> str:
        return f"LinearLoss(rho={self.rho})"

    def logit_gradient(self, K):
        """``-(1/n) tr K + (1^T K 1 - tr K)/(n(n-1))`` and its constant gradient."""
        n = K.shape[0]
        trace = float(np.trace(K))
        value = -trace / n + (float(K.sum()) - trace) / (n * (n - 1))
        C = np.full((n, n), 1.0 / (n * (n - 1)))
        np.fill_diagonal(C, -1.0 / n)
        return value, C

    def embedding_gradient(self, E1, E2):
        """The same without the n x n matrix: ``dL/dK = -I/(n-1) + 11^T/(n(n-1))``."""
        n = E1.shape[0]
        diag_sum = float(np.vdot(E1, E2))
        s1, s2 = E1.sum(axis=0), E2.sum(axis=0)
        value = -diag_sum / n + (float(s1 @ s2) - diag_sum) / (n * (n - 1))
        dE1 = (s2[None, :] / n - E2) / (n - 1)
        dE2 = (s1[None, :] / n - E1) / (n - 1)
        return value, dE1, dE2

    def cross_covariance(self, G1, G2, X, Y) -> np.ndarray:
        """``S_lin = Xc^T Yc/(n-1)`` (d1 x d2), which does not depend on the encoders."""
        G1, G2, X, Y = _check(G1, G2, X, Y)
        return linear_cross_covariance(X, Y)


def linear_cross_covariance(X, Y) -> np.ndarray:
    """``S`` of the linear loss, which equals ``Xc^T Yc / (n - 1)``.

    With ``beta_ii = 1/n`` and ``beta_ij = 1/(n(n-1))`` the contrastive
    cross-covariance is the unbiased sample cross-covariance of the centred
    data. It is computed with one GEMM and two column sums; no n x n matrix is
    formed. Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)

    Returns
    -------
    S : ndarray, shape (d1, d2)

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> mmcl.linear_cross_covariance(X, X).shape
    (2, 2)
    """
    X, Y = as_pair(X, Y, check_finite=False)
    n = X.shape[0]
    sx, sy = X.sum(axis=0), Y.sum(axis=0)
    # A NaN or inf anywhere in X or Y makes its column sum non-finite, so this
    # O(d) test replaces an O(n d) scan of the data.
    if not np.isfinite(sx).all():
        raise ValueError("X must contain only finite values (no NaN or inf)")
    if not np.isfinite(sy).all():
        raise ValueError("Y must contain only finite values (no NaN or inf)")
    S = X.T @ Y
    S /= n - 1
    S -= np.outer(sx, sy / (n * (n - 1.0)))
    return S


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


def linear_loss(rho: float = 0.0) -> LinearLoss:
    """The linear contrastive loss with regulariser weight ``rho``.

    Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    rho : float >= 0

    Returns
    -------
    LinearLoss
        Same methods as :func:`clip_loss`.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(8, 4)), rng.normal(size=(8, 3))
    >>> G1, G2 = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
    >>> value = mmcl.linear_loss(rho=0.0).value(G1, G2, X, Y)
    >>> bool(np.isclose(value, -np.trace(G1 @ mmcl.linear_cross_covariance(X, Y) @ G2.T)))
    True
    """
    return LinearLoss(rho=rho)


def weighted_cross_covariance(X, Y, weights=None) -> np.ndarray:
    """Weighted cross-covariance of the weighted-centred data (``S`` of the weighted linear loss).

    With weights ``w`` (default all ones, which gives :func:`linear_cross_covariance`),
    ``S = sum_a w_a (x_a - mx)(y_a - my)^T / (W - sum_a w_a^2 / W)`` with ``W = sum_a w_a``
    and weighted means ``mx``, ``my`` (the unbiased reliability-weights normalisation). It
    is ``S(beta)`` of the balanced weighted linear loss
    ``(1/D) sum_{a != b} w_a w_b (s_ab - s_aa)`` with ``D = W^2 - sum_a w_a^2``
    (``beta_ab = w_a w_b / D``). One GEMM, no n x n matrix. Introduced in the chapter
    `loss_to_svd`.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
    weights : array, shape (n,), optional
        Non-negative, finite, not all zero.

    Returns
    -------
    S : ndarray, shape (d1, d2)

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    >>> S = mmcl.weighted_cross_covariance(X, Y, np.ones(6))
    >>> bool(np.allclose(S, mmcl.linear_cross_covariance(X, Y)))
    True
    """
    if weights is None:
        return linear_cross_covariance(X, Y)
    X, Y = as_pair(X, Y, check_finite=False)
    w = np.asarray(weights, dtype=np.float64)
    n = X.shape[0]
    if w.shape != (n,):
        raise ValueError(f"weights must have shape (n,) = ({n},); got {w.shape}")
    if not (np.isfinite(w).all() and (w >= 0).all()) or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    if not (np.isfinite(X.sum(0)).all() and np.isfinite(Y.sum(0)).all()):
        raise ValueError("X and Y must contain only finite values (no NaN or inf)")
    W = w.sum()
    mx, my = (w @ X) / W, (w @ Y) / W
    S = (X * w[:, None]).T @ Y - W * np.outer(mx, my)
    return S / (W - (w @ w) / W)
