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
(``value``, ``gradient``, ``weights``, ``cross_covariance``, the Hessian
products of ``second_order``, :func:`mmcl.fit_gd`, :func:`mmcl.polish`)
follows. A loss that can avoid the n x n matrix may override
:meth:`LogitLoss.embedding_gradient` (and :meth:`LogitLoss.embedding_hvp_operator`);
one with a cheap exact second derivative may override
:meth:`LogitLoss.logit_hvp_operator`.

Memory: the routines that form n x n arrays first check them against the
budget of :func:`mmcl.set_memory_budget`, counting :attr:`LogitLoss.logit_arrays`
arrays for a loss that works through ``logit_gradient``.
"""

from __future__ import annotations

import numpy as np

from .._checks import (
    all_finite,
    as_data,
    as_encoders,
    as_nonnegative,
    as_pair,
    check_n_by_n,
)

__all__ = ["LogitLoss", "contrastive_cross_covariance"]


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

    Attributes
    ----------
    logit_arrays : float
        Largest number of n x n float64 arrays that :meth:`logit_gradient`
        holds at once, ``K`` and ``dL/dK`` included (2 unless a subclass says
        otherwise). The routines that call it refuse, before allocating, when
        ``8 n^2 logit_arrays`` bytes exceed :func:`mmcl.memory_budget`.

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

    logit_arrays: float = 2

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
        self._check_memory(E1.shape[0], self.logit_arrays, "value_and_gradient")
        value, C = self.logit_gradient(E1 @ E2.T)
        return value, C @ E2, C.T @ E1

    def logit_hvp_operator(self, K: np.ndarray, C: np.ndarray):
        """Second derivative of the data term in ``K``, as an operator.

        Returns the map ``dK -> D(dL/dK)[dK]`` at ``K`` (both n x n), where
        ``C = dL/dK`` at ``K`` (from :meth:`logit_gradient`). The default takes
        central differences of :meth:`logit_gradient` (two calls per product,
        relative error about 1e-8); a loss with a cheap exact second
        derivative overrides it.

        Parameters
        ----------
        K : ndarray, shape (n, n)
            Not modified.
        C : ndarray, shape (n, n)

        Returns
        -------
        callable
            ``hvp(dK) -> ndarray, shape (n, n)``.
        """
        scale = 1.0 + float(np.abs(K).max())

        def hvp(dK):
            size = float(np.abs(dK).max())
            if size == 0.0:
                return np.zeros_like(dK)
            h = 1e-5 * scale / size
            plus = self.logit_gradient(K + h * dK)[1]
            plus -= self.logit_gradient(K - h * dK)[1]
            plus *= 1.0 / (2 * h)
            return plus

        return hvp

    def embedding_hvp_operator(self, E1: np.ndarray, E2: np.ndarray):
        """Value, embedding gradients and the embedding-level Hessian product.

        With ``K = E1 E2^T`` and ``C = dL/dK``, a direction ``(D1, D2)`` of the
        embeddings moves ``K`` by ``dK = D1 E2^T + E1 D2^T`` and the gradients
        by ``H1 = dC E2 + C D2`` and ``H2 = dC^T E1 + C^T D1`` with
        ``dC = D(dL/dK)[dK]`` (:meth:`logit_hvp_operator`). Override it to
        avoid the n x n matrices.

        Parameters
        ----------
        E1, E2 : ndarray, shape (n, r)

        Returns
        -------
        value : float
        dE1, dE2 : ndarray, shape (n, r)
        hvp : callable
            ``hvp(D1, D2) -> (H1, H2)``, arrays of shape (n, r).
        """
        self._check_memory(E1.shape[0], 2 + 2 * self.logit_arrays, "second_order")
        K = E1 @ E2.T
        value, C = self.logit_gradient(K.copy())
        dC = self.logit_hvp_operator(K, C)

        def hvp(D1, D2):
            H = dC(np.hstack([D1, E1]) @ np.hstack([E2, D2]).T)
            return H @ E2 + C @ D2, H.T @ E1 + C.T @ D1

        return value, C @ E2, C.T @ E1, hvp

    # -- public API -----------------------------------------------------------
    def value(self, G1, G2, X, Y) -> float:
        """Loss value (float) at encoders ``G1`` (r x d1), ``G2`` (r x d2)."""
        return self.value_and_gradient(G1, G2, X, Y)[0]

    def gradient(self, G1, G2, X, Y):
        """Gradient ``(dL/dG1, dL/dG2)`` with the shapes of ``G1`` and ``G2``."""
        return self.value_and_gradient(G1, G2, X, Y)[1]

    def value_and_gradient(self, G1, G2, X, Y):
        """``(value, (dL/dG1, dL/dG2))`` from a single pass over the logits."""
        G1, G2, X, Y, E1, E2 = _embeddings(G1, G2, X, Y)
        value, dE1, dE2 = self.embedding_gradient(E1, E2)
        return self._add_regulariser(value, dE1.T @ X, dE2.T @ Y, G1, G2)[:2]

    def validated_value_and_gradient(self, G1, G2, X, Y):
        """:meth:`value_and_gradient` for inputs that were validated already.

        For solvers that validate ``(G1, G2, X, Y)`` once and then call the loss
        at every iterate (:func:`mmcl.fit_gd`, :func:`mmcl.polish`): no checks,
        so the inputs must be float64 arrays of shapes (r, d1), (r, d2), (n, d1)
        and (n, d2). A non-finite iterate gives a non-finite value or gradient
        instead of an error; the caller tests for it.

        Returns
        -------
        value : float
        gradient : (ndarray (r, d1), ndarray (r, d2))
        """
        value, dE1, dE2 = self.embedding_gradient(X @ G1.T, Y @ G2.T)
        return self._add_regulariser(value, dE1.T @ X, dE2.T @ Y, G1, G2)[:2]

    def second_order(self, G1, G2, X, Y):
        """Value, gradient and the Hessian-vector product at ``(G1, G2)``.

        Newton-type solvers (:func:`mmcl.polish`) use it: one call costs about
        one gradient, and each product about half a gradient for CLIP (its
        analytic operator) and the linear loss (no n x n matrix).

        Parameters
        ----------
        G1 : array, shape (r, d1)
        G2 : array, shape (r, d2)
        X : array, shape (n, d1)
        Y : array, shape (n, d2)

        Returns
        -------
        value : float
        gradient : (ndarray (r, d1), ndarray (r, d2))
        hessp : callable
            ``hessp(V1, V2) -> (H1, H2)``: the Hessian of the loss in
            ``(G1, G2)`` applied to the direction ``(V1, V2)`` (shapes of
            ``G1`` and ``G2``).

        Examples
        --------
        >>> import numpy as np, mmcl
        >>> rng = np.random.default_rng(0)
        >>> X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
        >>> G1, G2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
        >>> V1, V2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
        >>> loss = mmcl.clip_loss(tau=0.5, rho=0.1)
        >>> value, grad, hessp = loss.second_order(G1, G2, X, Y)
        >>> h = 1e-6
        >>> plus = loss.gradient(G1 + h * V1, G2 + h * V2, X, Y)
        >>> minus = loss.gradient(G1 - h * V1, G2 - h * V2, X, Y)
        >>> bool(np.allclose(hessp(V1, V2)[0], (plus[0] - minus[0]) / (2 * h), atol=1e-7))
        True
        """
        G1, G2, X, Y, E1, E2 = _embeddings(G1, G2, X, Y)
        value, dE1, dE2, ehvp = self.embedding_hvp_operator(E1, E2)
        value, (dG1, dG2), A1, A2 = self._add_regulariser(value, dE1.T @ X, dE2.T @ Y, G1, G2)
        rho = self.rho

        def hessp(V1, V2):
            H1, H2 = ehvp(X @ V1.T, Y @ V2.T)
            h1, h2 = H1.T @ X, H2.T @ Y
            if rho:
                B1, B2 = V1 @ G1.T, V2 @ G2.T
                h1 += rho * ((B2 + B2.T) @ G1 + A2 @ V1)
                h2 += rho * ((B1 + B1.T) @ G2 + A1 @ V2)
            return h1, h2

        return value, (dG1, dG2), hessp

    def weights(self, G1, G2, X, Y) -> np.ndarray:
        """The n x n weights ``beta``: ``-dL/dK`` on the diagonal, ``dL/dK`` off it."""
        G1, G2, X, Y = _check(G1, G2, X, Y)
        self._check_memory(X.shape[0], self.logit_arrays, "weights")
        beta = np.asarray(self.logit_gradient((X @ G1.T) @ (Y @ G2.T).T)[1], dtype=float)
        idx = np.diag_indices(beta.shape[0])
        beta[idx] = -beta[idx]
        return beta

    def cross_covariance(self, G1, G2, X, Y) -> np.ndarray:
        """``S(beta) = X^T (-dL/dK) Y`` (d1 x d2) at the current weights."""
        G1, G2, X, Y = _check(G1, G2, X, Y)
        self._check_memory(X.shape[0], self.logit_arrays, "cross_covariance")
        C = self.logit_gradient((X @ G1.T) @ (Y @ G2.T).T)[1]
        return -(X.T @ (C @ Y))

    # -- shared by the methods above ------------------------------------------
    def _check_memory(self, n: int, arrays: float, method: str) -> None:
        check_n_by_n(n, arrays, f"{method} of {type(self).__name__}")

    def _add_regulariser(self, value, dG1, dG2, G1, G2):
        """``(value + R, dG1 + dR/dG1, dG2 + dR/dG2, G1 G1^T, G2 G2^T)``."""
        A1, A2 = G1 @ G1.T, G2 @ G2.T
        if self.rho:
            value = value + 0.5 * self.rho * float(np.vdot(A1, A2))
            dG1 += self.rho * A2 @ G1
            dG2 += self.rho * A1 @ G2
        return float(value), (dG1, dG2), A1, A2


def _check(G1, G2, X, Y, *, check_finite: bool = True):
    X, Y = as_pair(X, Y, check_finite=check_finite)
    G1, G2 = as_encoders(G1, G2, X, Y, check_finite=check_finite)
    return G1, G2, X, Y


def _embeddings(G1, G2, X, Y):
    """Validated inputs and the embeddings ``E1 = X G1^T``, ``E2 = Y G2^T``.

    A NaN or inf in ``X`` or ``G1`` makes ``E1`` non-finite (IEEE arithmetic:
    ``inf * 0`` is NaN), so the data are scanned only when an embedding is not
    finite, to name the culprit; testing the n x r embeddings instead of the
    n x d data keeps validation cheap next to the loss's own work.
    """
    G1, G2, X, Y = _check(G1, G2, X, Y, check_finite=False)
    E1, E2 = X @ G1.T, Y @ G2.T
    if not (all_finite(E1) and all_finite(E2)):
        _check(G1, G2, X, Y)  # raises, naming the array, if an input is not finite
    return G1, G2, X, Y, E1, E2


def contrastive_cross_covariance(X, Y, beta) -> np.ndarray:
    """Contrastive cross-covariance ``S(beta)``.

    ``S(beta) = sum_i beta_ii x_i y_i^T - sum_{i != j} beta_ij x_i y_j^T``,
    computed a block of rows of ``beta`` at a time: no n x n array besides
    ``beta``. Introduced in the chapter `loss_to_svd`.

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
    # S = X^T W Y with W = -beta off the diagonal and beta_ii on it, formed
    # for a block of rows at a time (an eighth of beta, at most 4 million entries).
    step = max(64, min(n // 8, (1 << 22) // n))
    S = np.zeros((X.shape[1], Y.shape[1]))
    buffer = np.empty((min(step, n), n))
    for i in range(0, n, step):
        W = np.negative(beta[i : i + step], out=buffer[: min(step, n - i)])
        rows = np.arange(W.shape[0])
        W[rows, i + rows] = -W[rows, i + rows]
        if X.shape[1] <= Y.shape[1]:
            S += (X[i : i + step].T @ W) @ Y
        else:
            S += X[i : i + step].T @ (W @ Y)
    return S
