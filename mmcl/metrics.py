"""Distances between subspaces and other evaluation metrics.

Introduced in the chapter *From contrastive loss to SVD*.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_data

__all__ = ["sin_theta", "orthonormal_basis"]


def orthonormal_basis(A, name: str = "A") -> np.ndarray:
    """Orthonormal basis (d x k) of the column space of a full-rank ``A`` (d x k).

    Raises
    ------
    ValueError
        If ``A`` has more columns than rows or is numerically rank-deficient.
    """
    A = as_data(A, name, min_rows=1)
    d, k = A.shape
    if k > d:
        raise ValueError(f"{name} must have at most as many columns as rows (d x k, k <= d); got {A.shape}")
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    if s[-1] <= max(d, k) * np.finfo(float).eps * s[0] or s[0] == 0:
        raise ValueError(f"{name} must have full column rank to span a {k}-dimensional subspace")
    return U


def sin_theta(A, B) -> float:
    """Frobenius norm of ``sin Theta`` between the column spaces of A and B.

    ``||sin Theta||_F = ||(I - P_B) Q_A||_F`` where ``Q_A`` is an orthonormal
    basis of span(A) and ``P_B`` the orthogonal projector onto span(B). It is 0
    when span(A) lies in span(B) and at most ``sqrt(k_A)``. Pass ``G1.T`` to
    measure an encoder ``G1`` (r x d). Introduced in the chapter *From
    contrastive loss to SVD*.

    Parameters
    ----------
    A : array, shape (d, k_A)
    B : array, shape (d, k_B)
        Both of full column rank.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> A = np.eye(3)[:, :1]
    >>> B = np.array([[1.0], [1.0], [0.0]])
    >>> round(mmcl.sin_theta(A, B), 6)   # 45 degrees
    0.707107
    """
    QA = orthonormal_basis(A, "A")
    QB = orthonormal_basis(B, "B")
    if QA.shape[0] != QB.shape[0]:
        raise ValueError(f"A and B must have the same number of rows d; got {QA.shape[0]} and {QB.shape[0]}")
    # The residual is formed directly (not as sqrt(k - ||QA^T QB||^2)) so small
    # angles keep full relative accuracy.
    return float(np.linalg.norm(QA - QB @ (QB.T @ QA)))
