"""The contrastive loss family, its weights ``beta`` and the contrastive
cross-covariance ``S(beta)``.

Introduced in the chapter *From contrastive loss to SVD*. For increasing,
differentiable ``phi`` and ``psi`` and similarities ``s_ij = <G1 x_i, G2 y_j>``
(the logit matrix ``K = X G1^T G2 Y^T``), the loss is::

    L = 1/(2n) sum_i phi( sum_{j != i} psi(s_ij - s_ii) )     (anchor x_i)
      + 1/(2n) sum_i phi( sum_{j != i} psi(s_ji - s_ii) )     (anchor y_i)
      + rho/2 ||G1^T G2||_F^2

and its gradient is ``dL/dG1 = -G2 S(beta)^T + rho G2 G2^T G1`` and
``dL/dG2 = -G1 S(beta) + rho G1 G1^T G2``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._checks import as_data, as_encoders, as_nonnegative, as_pair, as_positive

__all__ = [
    "ContrastiveLoss",
    "CLIPLoss",
    "LinearLoss",
    "clip_loss",
    "linear_loss",
    "contrastive_cross_covariance",
    "linear_cross_covariance",
    "finite_difference_gradient",
]


def contrastive_cross_covariance(X, Y, beta) -> np.ndarray:
    """Contrastive cross-covariance ``S(beta)``.

    ``S(beta) = sum_i beta_ii x_i y_i^T - sum_{i != j} beta_ij x_i y_j^T``.
    Introduced in the chapter *From contrastive loss to SVD*.

    Parameters
    ----------
    X : array, shape (n, d1)
        Modality-1 samples (rows).
    Y : array, shape (n, d2)
        Modality-2 samples; row ``i`` is the partner of ``X[i]``.
    beta : array, shape (n, n)
        Weights, for example ``loss.weights(G1, G2, X, Y)``.

    Returns
    -------
    S : ndarray, shape (d1, d2)

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    >>> beta = np.full((5, 5), 1 / 20); np.fill_diagonal(beta, 1 / 5)
    >>> S = mmcl.contrastive_cross_covariance(X, Y, beta)
    >>> np.allclose(S, mmcl.linear_cross_covariance(X, Y))
    True
    """
    X, Y = as_pair(X, Y)
    n = X.shape[0]
    beta = as_data(beta, "beta", min_rows=1)
    if beta.shape != (n, n):
        raise ValueError(f"beta must have shape (n, n) = ({n}, {n}); got {beta.shape}")
    W = -beta
    W[np.diag_indices(n)] = np.diag(beta)
    # S = X^T W Y; multiply the n x n matrix into the narrower side first.
    if X.shape[1] <= Y.shape[1]:
        return (X.T @ W) @ Y
    return X.T @ (W @ Y)


def linear_cross_covariance(X, Y) -> np.ndarray:
    """``S`` of the linear loss, which equals ``Xc^T Yc / (n - 1)``.

    With ``beta_ii = 1/n`` and ``beta_ij = 1/(n(n-1))`` the contrastive
    cross-covariance is the unbiased sample cross-covariance of the centred
    data. It is computed with one GEMM and two column sums; no n x n matrix is
    formed. Introduced in the chapter *From contrastive loss to SVD*.

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
    return _linear_S(X, Y)


def _linear_S(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
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


class ContrastiveLoss:
    """A loss of the contrastive family with user-supplied ``phi`` and ``psi``.

    Introduced in the chapter *From contrastive loss to SVD*. The generic
    implementation forms the n x n logit matrix and applies the formulas of
    the chapter literally; :class:`CLIPLoss` and :class:`LinearLoss` override
    it with stable and fast special cases.

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
    >>> hinge = mmcl.ContrastiveLoss(phi=lambda u: u, dphi=np.ones_like,
    ...     psi=lambda t: np.logaddexp(0, t), dpsi=lambda t: 1 / (1 + np.exp(-t)))
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    >>> G1, G2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    >>> hinge.weights(G1, G2, X, Y).shape
    (6, 6)
    """

    def __init__(self, phi: Callable, dphi: Callable, psi: Callable, dpsi: Callable,
                 rho: float = 0.0, name: str = "contrastive"):
        for label, f in (("phi", phi), ("dphi", dphi), ("psi", psi), ("dpsi", dpsi)):
            if not callable(f):
                raise TypeError(f"{label} must be callable; got {type(f).__name__}")
        self.phi, self.dphi, self.psi, self.dpsi = phi, dphi, psi, dpsi
        self.rho = as_nonnegative(rho, "rho")
        self.name = str(name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, rho={self.rho})"

    # -- public API ---------------------------------------------------------
    def value(self, G1, G2, X, Y) -> float:
        """Loss value (float) at encoders ``G1`` (r x d1), ``G2`` (r x d2)."""
        G1, G2, X, Y = self._check(G1, G2, X, Y)
        return self._value_and_grad(G1, G2, X, Y, grad=False)[0]

    def gradient(self, G1, G2, X, Y):
        """Gradient ``(dL/dG1, dL/dG2)`` with the shapes of ``G1`` and ``G2``."""
        G1, G2, X, Y = self._check(G1, G2, X, Y)
        return self._value_and_grad(G1, G2, X, Y)[1]

    def value_and_gradient(self, G1, G2, X, Y):
        """``(value, (dG1, dG2))`` from a single pass over the logits."""
        G1, G2, X, Y = self._check(G1, G2, X, Y)
        return self._value_and_grad(G1, G2, X, Y)

    def weights(self, G1, G2, X, Y) -> np.ndarray:
        """The n x n weight matrix ``beta`` at ``(G1, G2)``.

        Off the diagonal ``beta_ij = (a_ij + b_ij)/(2n) >= 0``; on it
        ``beta_ii = (sum_j a_ij + sum_j b_ji)/(2n)``.
        """
        G1, G2, X, Y = self._check(G1, G2, X, Y)
        return _beta_from_dK(self._dK(X @ G1.T, Y @ G2.T)[1])

    def cross_covariance(self, G1, G2, X, Y) -> np.ndarray:
        """``S(beta)`` (d1 x d2) at the current weights."""
        G1, G2, X, Y = self._check(G1, G2, X, Y)
        C = self._dK(X @ G1.T, Y @ G2.T)[1]
        return -(X.T @ (C @ Y))

    # -- internals ----------------------------------------------------------
    def _check(self, G1, G2, X, Y):
        X, Y = as_pair(X, Y)
        G1, G2 = as_encoders(G1, G2, X, Y)
        return G1, G2, X, Y

    def _dK(self, E1: np.ndarray, E2: np.ndarray):
        """Return ``(data term of L, dL/dK)`` from the embeddings."""
        n = E1.shape[0]
        K = E1 @ E2.T
        off = ~np.eye(n, dtype=bool)
        Drow = K - np.diag(K)[:, None]          # s_ij - s_ii
        Dcol = K - np.diag(K)[None, :]          # s_ij - s_jj
        A = np.where(off, self.psi(Drow), 0.0).sum(axis=1)
        B = np.where(off, self.psi(Dcol), 0.0).sum(axis=0)
        a = np.where(off, self.dphi(A)[:, None] * self.dpsi(Drow), 0.0)
        b = np.where(off, self.dphi(B)[None, :] * self.dpsi(Dcol), 0.0)
        C = (a + b) / (2 * n)
        C[np.diag_indices(n)] = -(a.sum(axis=1) + b.sum(axis=0)) / (2 * n)
        value = (np.sum(self.phi(A)) + np.sum(self.phi(B))) / (2 * n)
        return float(value), C

    def _value_and_grad(self, G1, G2, X, Y, grad: bool = True):
        E1, E2 = X @ G1.T, Y @ G2.T
        value, C = self._dK(E1, E2)
        rho = self.rho
        value += 0.5 * rho * float(np.vdot(G1 @ G1.T, G2 @ G2.T))
        if not grad:
            return value, None
        dG1 = (C @ E2).T @ X
        dG2 = (C.T @ E1).T @ Y
        if rho:
            dG1 += rho * (G2 @ G2.T) @ G1
            dG2 += rho * (G1 @ G1.T) @ G2
        return value, (dG1, dG2)


def _beta_from_dK(C: np.ndarray) -> np.ndarray:
    """``beta`` from ``dL/dK``: off-diagonal equal, diagonal negated."""
    beta = C.copy()
    idx = np.diag_indices(C.shape[0])
    beta[idx] = -C[idx]
    return beta


class CLIPLoss(ContrastiveLoss):
    """CLIP: ``psi(t) = exp(t/tau)``, ``phi(u) = tau log(1 + u)``.

    The loss equals ``tau`` times the symmetric cross-entropy of CLIP, and is
    evaluated with log-sum-exp so it stays finite for tiny ``tau`` and huge
    logits. Introduced in the chapter *From contrastive loss to SVD*.
    """

    def __init__(self, tau: float = 1.0, rho: float = 0.0):
        self.tau = as_positive(tau, "tau")
        t = self.tau
        super().__init__(
            phi=lambda u: t * np.log1p(u), dphi=lambda u: t / (1.0 + u),
            psi=lambda s: np.exp(s / t), dpsi=lambda s: np.exp(s / t) / t,
            rho=rho, name=f"CLIP (tau={t:g})",
        )

    def __repr__(self) -> str:
        return f"CLIPLoss(tau={self.tau}, rho={self.rho})"

    def _dK(self, E1, E2):
        n = E1.shape[0]
        Z = E1 @ E2.T
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
        value = self.tau * (np.sum(np.log(sr) + mr - zdiag) + np.sum(np.log(sc) + mc - zdiag)) / (2 * n)
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
    n x n matrix is formed. Introduced in the chapter *From contrastive loss
    to SVD*.
    """

    def __init__(self, rho: float = 0.0):
        super().__init__(phi=lambda u: u, dphi=np.ones_like, psi=lambda t: t,
                         dpsi=np.ones_like, rho=rho, name="linear")

    def __repr__(self) -> str:
        return f"LinearLoss(rho={self.rho})"

    def weights(self, G1, G2, X, Y) -> np.ndarray:
        G1, G2, X, Y = self._check(G1, G2, X, Y)
        n = X.shape[0]
        beta = np.full((n, n), 1.0 / (n * (n - 1)))
        np.fill_diagonal(beta, 1.0 / n)
        return beta

    def cross_covariance(self, G1, G2, X, Y) -> np.ndarray:
        G1, G2, X, Y = self._check(G1, G2, X, Y)
        return _linear_S(X, Y)

    def _dK(self, E1, E2):  # pragma: no cover - replaced by _value_and_grad
        raise NotImplementedError

    def _value_and_grad(self, G1, G2, X, Y, grad: bool = True):
        n = X.shape[0]
        E1, E2 = X @ G1.T, Y @ G2.T
        diag_sum = float(np.vdot(E1, E2))
        s1, s2 = E1.sum(axis=0), E2.sum(axis=0)
        value = -diag_sum / n + (float(s1 @ s2) - diag_sum) / (n * (n - 1))
        value += 0.5 * self.rho * float(np.vdot(G1 @ G1.T, G2 @ G2.T))
        if not grad:
            return value, None
        # dL/dK = -I/(n-1) + 11^T/(n(n-1)), applied without forming it.
        CE2 = (s2[None, :] / n - E2) / (n - 1)
        CtE1 = (s1[None, :] / n - E1) / (n - 1)
        dG1 = CE2.T @ X
        dG2 = CtE1.T @ Y
        if self.rho:
            dG1 += self.rho * (G2 @ G2.T) @ G1
            dG2 += self.rho * (G1 @ G1.T) @ G2
        return value, (dG1, dG2)


def clip_loss(tau: float = 1.0, rho: float = 0.0) -> CLIPLoss:
    """The CLIP loss with temperature ``tau`` and regulariser weight ``rho``.

    Introduced in the chapter *From contrastive loss to SVD*.

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

    Introduced in the chapter *From contrastive loss to SVD*.

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


def finite_difference_gradient(loss: ContrastiveLoss, G1, G2, X, Y, *, h: float = 1e-6):
    """Central finite-difference gradient of ``loss.value`` (for checking).

    Costs ``2 r (d1 + d2)`` loss evaluations. Introduced in the chapter *From
    contrastive loss to SVD*.

    Parameters
    ----------
    loss : ContrastiveLoss
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
    if not isinstance(loss, ContrastiveLoss):
        raise TypeError(f"loss must be a contrastive loss; got {type(loss).__name__}")
    X, Y = as_pair(X, Y)
    G1, G2 = as_encoders(G1, G2, X, Y)
    h = as_positive(h, "h")
    out = []
    for which in (0, 1):
        G = (G1, G2)[which]
        grad = np.empty_like(G)
        for idx in np.ndindex(G.shape):
            plus, minus = G.copy(), G.copy()
            plus[idx] += h
            minus[idx] -= h
            args_p = (plus, G2) if which == 0 else (G1, plus)
            args_m = (minus, G2) if which == 0 else (G1, minus)
            f_p = loss._value_and_grad(*args_p, X, Y, grad=False)[0]
            f_m = loss._value_and_grad(*args_m, X, Y, grad=False)[0]
            grad[idx] = (f_p - f_m) / (2 * h)
        out.append(grad)
    return tuple(out)
