"""The (phi, psi) family of contrastive losses and the linear loss.

Introduced in the chapter `loss_to_svd`. For increasing, differentiable
``phi`` and ``psi`` and similarities ``s_ij = <G1 x_i, G2 y_j>`` (the logit
matrix ``K = X G1^T G2 Y^T``), the loss is::

    L = 1/(2n) sum_i phi( sum_{j != i} psi(s_ij - s_ii) )     (anchor x_i)
      + 1/(2n) sum_i phi( sum_{j != i} psi(s_ji - s_ii) )     (anchor y_i)
      + rho/2 ||G1^T G2||_F^2

CLIP, the family's member with ``psi(t) = exp(t/tau)``, has its own module
(:mod:`mmcl.losses.clip`). The linear loss and its cross-covariance never
form an n x n matrix; :func:`linear_cross_covariance` accumulates data of
other dtypes (float32) in float64 a block of rows at a time, without a
float64 copy of the data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg.blas import dsyrk

from .._checks import all_finite, as_pair
from .base import LogitLoss, _check

__all__ = [
    "ContrastiveLoss",
    "LinearLoss",
    "linear_loss",
    "linear_cross_covariance",
    "weighted_cross_covariance",
]


class ContrastiveLoss(LogitLoss):
    """A loss of the contrastive family with user-supplied ``phi`` and ``psi``.

    Introduced in the chapter `loss_to_svd`. The implementation forms the
    n x n logit matrix and applies the formulas of the chapter literally
    (it holds up to five n x n arrays, ``logit_arrays``);
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

    logit_arrays = 5

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
        k = K.diagonal().copy()
        D = np.subtract(K, k[:, None])  # s_ij - s_ii: anchor x_i (rows)
        a, A = self._anchor(D, axis=1)
        del D
        K -= k[None, :]  # s_ij - s_jj: anchor y_j (columns)
        b, B = self._anchor(K, axis=0)
        diagonal = a.sum(axis=1) + b.sum(axis=0)
        C = a
        C += b
        del b
        C[np.diag_indices(n)] = -diagonal
        C *= 1.0 / (2 * n)
        value = (np.sum(self.phi(A)) + np.sum(self.phi(B))) / (2 * n)
        return float(value), C

    def _anchor(self, D, axis):
        """``phi'(A) psi'(D)`` (zero diagonal) and the anchor sums ``A`` along ``axis``."""
        diag = np.diag_indices(D.shape[0])
        terms = _own(self.psi(D), D)
        terms[diag] = 0.0
        A = terms.sum(axis=axis)
        del terms
        weights = _own(self.dpsi(D), D)
        weights *= np.expand_dims(np.asarray(self.dphi(A), dtype=float), axis)
        weights[diag] = 0.0
        return weights, A


def _own(result, D) -> np.ndarray:
    """``result`` of a user function as a writable float64 array that does not share ``D``."""
    out = np.asarray(result, dtype=float)
    if out.shape != D.shape:
        out = np.broadcast_to(out, D.shape)
    if np.shares_memory(out, D) or not out.flags.writeable:
        out = out.copy()
    return out


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

    logit_arrays = 2

    def __repr__(self) -> str:
        return f"LinearLoss(rho={self.rho})"

    def weights(self, G1, G2, X, Y) -> np.ndarray:
        """The constant weights: ``beta_ii = 1/n``, ``beta_ij = 1/(n(n-1))`` (n x n)."""
        G1, G2, X, Y = _check(G1, G2, X, Y)
        n = X.shape[0]
        self._check_memory(n, 1, "weights")
        beta = np.full((n, n), 1.0 / (n * (n - 1)))
        np.fill_diagonal(beta, 1.0 / n)
        return beta

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
        return value, _linear_C(E2, s2), _linear_C(E1, s1)

    def logit_hvp_operator(self, K, C):
        """Zero: ``dL/dK`` does not depend on ``K``."""
        return np.zeros_like

    def embedding_hvp_operator(self, E1, E2):
        """``hvp(D1, D2) = (C D2, C^T D1)`` with the constant ``C``; no n x n matrix."""
        value, dE1, dE2 = self.embedding_gradient(E1, E2)

        def hvp(D1, D2):
            return _linear_C(D2, D2.sum(axis=0)), _linear_C(D1, D1.sum(axis=0))

        return value, dE1, dE2, hvp

    def cross_covariance(self, G1, G2, X, Y) -> np.ndarray:
        """``S_lin = Xc^T Yc/(n-1)`` (d1 x d2), which does not depend on the encoders."""
        G1, G2, X, Y = _check(G1, G2, X, Y)
        return linear_cross_covariance(X, Y)


def _linear_C(V, column_sums):
    """``C V`` for the linear loss's ``C = dL/dK = -I/(n-1) + 11^T/(n(n-1))``."""
    n = V.shape[0]
    out = np.subtract(column_sums / n, V)  # one n x r array, no temporaries
    out *= 1.0 / (n - 1)
    return out


def linear_cross_covariance(X, Y) -> np.ndarray:
    """``S`` of the linear loss, which equals ``Xc^T Yc / (n - 1)``.

    With ``beta_ii = 1/n`` and ``beta_ij = 1/(n(n-1))`` the contrastive
    cross-covariance is the unbiased sample cross-covariance of the centred
    data. It is computed with one product and two column sums, a block of rows
    at a time; no n x n matrix is formed. Data of another real dtype (float32,
    integers) are converted to float64 block by block and accumulated in
    float64, so no float64 copy of the data is made. Introduced in the chapter `loss_to_svd`.

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
    X, Y = as_pair(X, Y, check_finite=False, as_float64=False)
    n = X.shape[0]
    S, sx, sy = _moments(X, Y)
    S /= n - 1
    S -= np.outer(sx, sy / (n * (n - 1.0)))
    return S


def _moments(X, Y, w=None):
    """``sum_a w_a x_a y_a^T``, ``sum_a w_a x_a``, ``sum_a w_a y_a`` in float64 (w = 1 by default).

    Blocks of about 1 MB of rows: each block is converted to float64 (a view
    for float64 data, so neither a float64 nor a weighted copy of the data is
    made), multiplied, and summed while it is still in the cache, which makes
    the centring nearly free next to the product. A NaN or inf anywhere in
    ``X`` or ``Y`` makes a column sum non-finite, so testing the sums replaces
    a scan of the data. With ``Y is X`` (a covariance) the product is a symmetric rank-k
    update of the rows scaled by ``sqrt(w)`` (half the flops), mirrored at the end.
    """
    if Y is X:
        return _symmetric_moments(X, w)
    G, sx, sy = np.zeros((X.shape[1], Y.shape[1])), np.zeros(X.shape[1]), np.zeros(Y.shape[1])
    step = max(256, (1 << 17) // (X.shape[1] + Y.shape[1]))
    for i in range(0, X.shape[0], step):
        Xb = np.asarray(X[i : i + step], dtype=np.float64)
        Yb = np.asarray(Y[i : i + step], dtype=np.float64)
        if w is not None:
            Xb = Xb * w[i : i + step, None]
        G += Xb.T @ Yb
        sx += Xb.sum(axis=0)
        sy += Yb.sum(axis=0) if w is None else w[i : i + step] @ Yb
    for name, sums in (("X", sx), ("Y", sy)):
        if not all_finite(sums):
            raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return G, sx, sy


def _symmetric_moments(X, w=None):
    """:func:`_moments` of ``(X, X)``: ``sum_a w_a x_a x_a^T`` by blocks of ``dsyrk``."""
    G, sx = np.zeros((X.shape[1], X.shape[1])), np.zeros(X.shape[1])
    step = max(256, (1 << 17) // (2 * X.shape[1]))
    for i in range(0, X.shape[0], step):
        Xb = np.asarray(X[i : i + step], dtype=np.float64)
        sx += Xb.sum(axis=0) if w is None else w[i : i + step] @ Xb
        Ab = Xb if w is None else Xb * np.sqrt(w[i : i + step, None])
        G += dsyrk(1.0, Ab.T, trans=0, lower=0)  # upper triangle of Ab^T Ab
    if not all_finite(sx):
        raise ValueError("X must contain only finite values (no NaN or inf)")
    G += np.triu(G, 1).T
    return G, sx, sx.copy()


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
    (``beta_ab = w_a w_b / D``). Accumulated in float64 a block of rows at a time (no
    weighted copy of the data), no n x n matrix. Introduced in the chapter
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
    X, Y = as_pair(X, Y, check_finite=False, as_float64=False)
    w = np.asarray(weights, dtype=np.float64)
    n = X.shape[0]
    if w.shape != (n,):
        raise ValueError(f"weights must have shape (n,) = ({n},); got {w.shape}")
    if not (np.isfinite(w).all() and (w >= 0).all()) or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    W = w.sum()
    S, sx, sy = _moments(X, Y, w)
    S -= np.outer(sx, sy / W)
    return S / (W - (w @ w) / W)
