"""Losses of the similarity matrix: the base class and the gradient identity.

Introduced in the chapter `loss_to_svd`. Every loss of the book is a function
of the logit (similarity) matrix ``K = X G1^T G2 Y^T`` (n x n) plus the
regulariser ``R = rho/2 ||G1^T G2||_F^2``. By the chain rule its gradient is

    dL/dG1 = G2 Y^T C^T X + rho G2 G2^T G1,    C = dL/dK,

and with the weights ``beta_ii = -C_ii`` and ``beta_ij = C_ij`` (i != j)
this is ``-G2 S(beta)^T + rho G2 G2^T G1`` with the contrastive
cross-covariance ``S(beta) = X^T (-C) Y``.

Adding a loss
-------------
Subclass :class:`LogitLoss` and define :meth:`LogitLoss.logit_gradient`,
which takes ``K`` and returns the data term and ``dL/dK``. Everything else
(``value``, ``gradient``, ``weights``, ``cross_covariance``, :func:`mmcl.fit_gd`,
:func:`mmcl.polish`) follows. A loss that can avoid the n x n matrix may
override :meth:`LogitLoss.embedding_gradient` as well.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_data, as_encoders, as_nonnegative, as_pair, as_positive

__all__ = [
    "LogitLoss",
    "contrastive_cross_covariance",
    "finite_difference_gradient",
    "finite_difference_hessian",
]


class LogitLoss:
    """Base class of every loss of the similarity matrix ``K = X G1^T G2 Y^T``.

    Introduced in the chapter `loss_to_svd`. A subclass defines
    :meth:`logit_gradient`; the base class adds the regulariser
    ``R = rho/2 ||G1^T G2||_F^2`` and validates the inputs of the public
    methods.

    Parameters
    ----------
    rho : float >= 0
        Weight of the regulariser.
    name : str
        Label used in figures and ``repr``.

    Examples
    --------
    A loss of the reader's own: the mean squared distance of the logits to
    the identity matrix.

    >>> import numpy as np, mmcl
    >>> class Squared(mmcl.LogitLoss):
    ...     def logit_gradient(self, K):
    ...         D = K - np.eye(K.shape[0])
    ...         return float(np.sum(D**2)) / K.size, 2 * D / K.size
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    >>> G1, G2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    >>> loss = Squared(rho=0.1)
    >>> fd = mmcl.finite_difference_gradient(loss, G1, G2, X, Y)
    >>> bool(np.allclose(fd[0], loss.gradient(G1, G2, X, Y)[0], atol=1e-7))
    True
    """

    def __init__(self, rho: float = 0.0, name: str = "loss"):
        self.rho = as_nonnegative(rho, "rho")
        self.name = str(name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rho={self.rho})"

    # -- the seam a new loss defines -----------------------------------------
    def logit_gradient(self, K: np.ndarray):
        """Data term of the loss and its gradient with respect to ``K``.

        Parameters
        ----------
        K : ndarray, shape (n, n)
            Logits ``K_ij = <G1 x_i, G2 y_j>``: a fresh array, which the
            method may overwrite.

        Returns
        -------
        value : float
            The loss without the regulariser.
        C : ndarray, shape (n, n)
            ``dL/dK``. It may be overwritten by the caller.
        """
        raise NotImplementedError(f"{type(self).__name__} must define logit_gradient(K)")

    def embedding_gradient(self, E1: np.ndarray, E2: np.ndarray):
        """Data term and its gradients with respect to the embeddings.

        ``E1 = X G1^T`` (n x r) and ``E2 = Y G2^T`` (n x r). The default forms
        ``K = E1 E2^T`` and calls :meth:`logit_gradient`; ``dE1 = C E2`` and
        ``dE2 = C^T E1``. Override it to avoid the n x n matrix.

        Returns
        -------
        value : float
        dE1 : ndarray, shape (n, r)
        dE2 : ndarray, shape (n, r)
        """
        value, C = self.logit_gradient(E1 @ E2.T)
        return value, C @ E2, C.T @ E1

    # -- public API -----------------------------------------------------------
    def value(self, G1, G2, X, Y) -> float:
        """Loss value (float) at encoders ``G1`` (r x d1), ``G2`` (r x d2)."""
        return self.value_and_gradient(G1, G2, X, Y)[0]

    def gradient(self, G1, G2, X, Y):
        """Gradient ``(dL/dG1, dL/dG2)`` with the shapes of ``G1`` and ``G2``."""
        return self.value_and_gradient(G1, G2, X, Y)[1]

    def value_and_gradient(self, G1, G2, X, Y):
        """``(value, (dL/dG1, dL/dG2))`` from a single pass over the logits."""
        G1, G2, X, Y = _check(G1, G2, X, Y)
        E1, E2 = X @ G1.T, Y @ G2.T
        value, dE1, dE2 = self.embedding_gradient(E1, E2)
        dG1, dG2 = dE1.T @ X, dE2.T @ Y
        if self.rho:
            A, B = G1 @ G1.T, G2 @ G2.T
            value += 0.5 * self.rho * float(np.vdot(A, B))
            dG1 += self.rho * B @ G1
            dG2 += self.rho * A @ G2
        return float(value), (dG1, dG2)

    def weights(self, G1, G2, X, Y) -> np.ndarray:
        """The n x n weights ``beta``: ``-dL/dK`` on the diagonal, ``dL/dK`` off it."""
        G1, G2, X, Y = _check(G1, G2, X, Y)
        C = self.logit_gradient((X @ G1.T) @ (Y @ G2.T).T)[1]
        beta = np.array(C, dtype=float)
        idx = np.diag_indices(beta.shape[0])
        beta[idx] = -beta[idx]
        return beta

    def cross_covariance(self, G1, G2, X, Y) -> np.ndarray:
        """``S(beta) = X^T (-dL/dK) Y`` (d1 x d2) at the current weights."""
        G1, G2, X, Y = _check(G1, G2, X, Y)
        C = self.logit_gradient((X @ G1.T) @ (Y @ G2.T).T)[1]
        return -(X.T @ (C @ Y))


def _check(G1, G2, X, Y):
    X, Y = as_pair(X, Y)
    G1, G2 = as_encoders(G1, G2, X, Y)
    return G1, G2, X, Y


def contrastive_cross_covariance(X, Y, beta) -> np.ndarray:
    """Contrastive cross-covariance ``S(beta)``.

    ``S(beta) = sum_i beta_ii x_i y_i^T - sum_{i != j} beta_ij x_i y_j^T``.
    Introduced in the chapter `loss_to_svd`.

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
        return loss.value(th[:k].reshape(G1.shape), th[k:].reshape(G2.shape), X, Y)

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
        dG1, dG2 = loss.gradient(th[:k].reshape(G1.shape), th[k:].reshape(G2.shape), X, Y)
        return np.concatenate([dG1.ravel(), dG2.ravel()])

    H = np.empty((theta.size, theta.size))
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        H[i] = (grad(theta + e) - grad(theta - e)) / (2 * h)
    return 0.5 * (H + H.T)
