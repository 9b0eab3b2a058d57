"""Unimodal baselines: contrastive learning with random masking, and PCA.

Both learn an r x d linear encoder from one modality alone. Unimodal
contrastive learning draws, for each sample, a mask ``a ~ Bernoulli(1/2)^d``
and makes two views ``a * x`` and ``(1 - a) * x``; one shared encoder ``W`` is
trained with the linear contrastive loss between the views. The loss depends
on ``W`` only through ``tr(W S W^T)`` with ``S`` the symmetrised contrastive
cross-covariance of the views, so its minimiser spans the top-r eigenspace of
``S``. For centred data ``E[S] = (Sigma - diag Sigma) / 4``: masking deletes
the diagonal of the covariance. Introduced in the chapter `robustness`.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_data, as_generator, as_int, as_rank

__all__ = [
    "top_eigenvectors",
    "masked_view_covariance",
    "masked_view_covariance_population",
    "unimodal_contrastive",
    "unimodal_contrastive_population",
    "pca",
]


def top_eigenvectors(M, r: int) -> np.ndarray:
    """Eigenvectors of the symmetric ``M`` for its ``r`` largest eigenvalues, as rows.

    Works on stacks of matrices. Introduced in the chapter `robustness`.

    Parameters
    ----------
    M : array, shape (..., d, d)
        Symmetric.
    r : int

    Returns
    -------
    ndarray, shape (..., r, d)
        Orthonormal rows, largest eigenvalue first.

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.baselines import top_eigenvectors
    >>> np.abs(top_eigenvectors(np.diag([1.0, 3.0, 2.0]), 1))
    array([[0., 1., 0.]])
    """
    M = np.asarray(M, dtype=float)
    _, V = np.linalg.eigh(M)
    return np.swapaxes(V[..., :, ::-1][..., :, :r], -1, -2)


def _masked_S(X: np.ndarray, rng: np.random.Generator, augmentations: int) -> np.ndarray:
    """Symmetrised view cross-covariance of ``X`` (..., n, d), one mask per sample."""
    n = X.shape[-2]
    S = np.zeros(X.shape[:-2] + (X.shape[-1],) * 2)
    for _ in range(augmentations):
        V = np.where(rng.random(X.shape) < 0.5, X, 0.0)  # view a * x
        W = X - V  # view (1 - a) * x
        C = np.swapaxes(V, -1, -2) @ W
        C -= V.sum(axis=-2)[..., :, None] * (W.sum(axis=-2)[..., None, :] / n)
        S += C
    S /= augmentations * (n - 1)
    return 0.5 * (S + np.swapaxes(S, -1, -2))


def _validate(X, r):
    X = as_data(X, "X")
    return X, as_rank(r, X.shape[1])


def masked_view_covariance(X, *, rng, augmentations: int = 1, center: bool = True) -> np.ndarray:
    """Symmetrised contrastive cross-covariance of two random-masking views.

    For each sample and augmentation a fresh mask ``a ~ Bernoulli(1/2)^d``
    gives views ``a * x`` and ``(1 - a) * x``; the result is the linear loss's
    contrastive cross-covariance of the view pairs (their unbiased sample
    cross-covariance), averaged over augmentations and symmetrised. Its
    expectation for centred data is ``(Sigma - diag Sigma) / 4``. Introduced in
    the chapter `robustness`.

    Parameters
    ----------
    X : array, shape (n, d)
    rng : numpy.random.Generator or int
    augmentations : int >= 1
        Independent masks per sample.
    center : bool
        Subtract the column means of ``X`` first (default). Without centring
        the expectation gains ``-diag(mu**2) / 4`` for data with mean ``mu``.

    Returns
    -------
    ndarray, shape (d, d)

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> X = np.random.default_rng(0).normal(size=(4000, 3))
    >>> S = mmcl.masked_view_covariance(X, rng=np.random.default_rng(1))
    >>> bool(np.abs(S - mmcl.masked_view_covariance_population(np.eye(3))).max() < 0.05)
    True
    """
    X = as_data(X, "X")
    augmentations = as_int(augmentations, "augmentations", low=1)
    rng = as_generator(rng)
    if center:
        X = X - X.mean(axis=0)
    return _masked_S(X, rng, augmentations)


def masked_view_covariance_population(Sigma) -> np.ndarray:
    """``(Sigma - diag Sigma) / 4``: the expectation of :func:`masked_view_covariance`.

    Introduced in the chapter `robustness`.

    Parameters
    ----------
    Sigma : array, shape (d, d)
        Symmetric covariance matrix of the (centred) data.

    Returns
    -------
    ndarray, shape (d, d)

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> mmcl.masked_view_covariance_population(np.array([[2.0, 1.0], [1.0, 3.0]]))
    array([[0.  , 0.25],
           [0.25, 0.  ]])
    """
    Sigma = _as_covariance(Sigma)
    return 0.25 * (Sigma - np.diag(np.diag(Sigma)))


def _as_covariance(Sigma) -> np.ndarray:
    Sigma = as_data(Sigma, "Sigma", min_rows=1)
    if Sigma.shape[0] != Sigma.shape[1]:
        raise ValueError(f"Sigma must be a square (d, d) matrix; got shape {Sigma.shape}")
    if not np.allclose(Sigma, Sigma.T, rtol=1e-10, atol=1e-12 * np.abs(Sigma).max()):
        raise ValueError("Sigma must be symmetric")
    if np.any(np.diag(Sigma) < 0):
        raise ValueError("Sigma must have non-negative variances on its diagonal")
    return Sigma


def unimodal_contrastive(X, r, *, rng, augmentations: int = 1, center: bool = True) -> np.ndarray:
    """Encoder learned by unimodal contrastive learning with random masking.

    The linear contrastive loss between the views ``a * x`` and ``(1 - a) * x``
    with one shared encoder ``W`` equals ``-tr(W S W^T) + rho/2 ||W^T W||_F^2``
    with ``S`` = :func:`masked_view_covariance`; its minimiser spans the top-r
    eigenspace of ``S``. This returns that eigenbasis (the minimiser for
    ``rho`` is ``diag(sqrt(mu_k / rho))`` times it when the top eigenvalues
    ``mu_k`` are positive; only the row space matters here). Introduced in the
    chapter `robustness`, after Ji et al. (JMLR 2023).

    Parameters
    ----------
    X : array, shape (n, d)
        Samples of one modality (rows).
    r : int
        Representation dimension, ``1 <= r <= d``.
    rng : numpy.random.Generator or int
        Source of the masks.
    augmentations : int >= 1
        Independent masks per sample.
    center : bool
        Centre ``X`` first (default).

    Returns
    -------
    ndarray, shape (r, d)
        Orthonormal rows.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> X = np.random.default_rng(0).normal(size=(200, 6))
    >>> W = mmcl.unimodal_contrastive(X, 2, rng=np.random.default_rng(1))
    >>> W.shape, bool(np.allclose(W @ W.T, np.eye(2)))
    ((2, 6), True)
    """
    X, r = _validate(X, r)
    return top_eigenvectors(
        masked_view_covariance(X, rng=rng, augmentations=augmentations, center=center), r
    )


def unimodal_contrastive_population(Sigma, r) -> np.ndarray:
    """Population limit of :func:`unimodal_contrastive`: top eigenvectors of ``Sigma - diag Sigma``.

    Introduced in the chapter `robustness`.

    Parameters
    ----------
    Sigma : array, shape (d, d)
        Covariance of the modality.
    r : int

    Returns
    -------
    ndarray, shape (r, d)
        Orthonormal rows.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> Sigma = np.array([[5.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 9.0]])
    >>> np.round(np.abs(mmcl.unimodal_contrastive_population(Sigma, 1)), 3)
    array([[0.707, 0.707, 0.   ]])
    """
    Sigma = _as_covariance(Sigma)
    r = as_rank(r, Sigma.shape[0])
    return top_eigenvectors(masked_view_covariance_population(Sigma), r)


def pca(X, r) -> np.ndarray:
    """Principal component analysis: top-r eigenvectors of the sample covariance.

    Introduced in the chapter `robustness`.

    Parameters
    ----------
    X : array, shape (n, d)
    r : int
        ``1 <= r <= d``.

    Returns
    -------
    ndarray, shape (r, d)
        Orthonormal rows.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> X = np.random.default_rng(0).normal(size=(500, 3)) * [3.0, 1.0, 0.3]
    >>> np.round(np.abs(mmcl.pca(X, 1)), 1)
    array([[1., 0., 0.]])
    """
    X, r = _validate(X, r)
    Xc = X - X.mean(axis=0)
    return top_eigenvectors(Xc.T @ Xc / (X.shape[0] - 1), r)
