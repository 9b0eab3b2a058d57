"""Distances between subspaces and other evaluation metrics.

Introduced in the chapter `loss_to_svd`.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_data, as_nonnegative
from ._threads import one_blas_thread

__all__ = [
    "sin_theta",
    "orthonormal_basis",
    "retrieval_accuracy",
    "probe_accuracy",
    "detection_scores",
]


def orthonormal_basis(A, name: str = "A") -> np.ndarray:
    """Orthonormal basis (d x k) of the column space of a full-rank ``A`` (d x k).

    Introduced in the chapter `loss_to_svd`.

    Raises
    ------
    ValueError
        If ``A`` has more columns than rows or is numerically rank-deficient.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> Q = mmcl.orthonormal_basis(np.array([[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]))
    >>> Q.shape, bool(np.allclose(Q.T @ Q, np.eye(2)))
    ((3, 2), True)
    """
    A = as_data(A, name, min_rows=1)
    d, k = A.shape
    if k > d:
        raise ValueError(
            f"{name} must have at most as many columns as rows (d x k, k <= d); got {A.shape}"
        )
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    if s[-1] <= max(d, k) * np.finfo(float).eps * s[0] or s[0] == 0:
        raise ValueError(f"{name} must have full column rank to span a {k}-dimensional subspace")
    return U


def sin_theta(A, B) -> float:
    """Frobenius norm of ``sin Theta`` between the column spaces of A and B.

    ``||sin Theta||_F = ||(I - P_B) Q_A||_F`` where ``Q_A`` is an orthonormal
    basis of span(A) and ``P_B`` the orthogonal projector onto span(B). It is 0
    when span(A) lies in span(B) and at most ``sqrt(k_A)``. Pass ``G1.T`` to
    measure an encoder ``G1`` (r x d). Introduced in the chapter `loss_to_svd`.

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
        raise ValueError(
            f"A and B must have the same number of rows d; got {QA.shape[0]} and {QB.shape[0]}"
        )
    # The residual is formed directly (not as sqrt(k - ||QA^T QB||^2)) so small
    # angles keep full relative accuracy.
    return float(np.linalg.norm(QA - QB @ (QB.T @ QA)))


def retrieval_accuracy(E1, E2) -> float:
    """Top-1 cross-modal retrieval accuracy with cosine similarity.

    Row ``i`` of ``E1`` retrieves the row of ``E2`` with the largest cosine
    similarity; the retrieval is correct when that row is ``E2[i]``, its true
    partner. Ties count as failures unless the partner is the first maximiser.
    Chance level is ``1/n``. Introduced in the chapter `robustness`.

    Parameters
    ----------
    E1 : array, shape (n, r)
        Embeddings of modality 1, e.g. ``X @ G1.T``.
    E2 : array, shape (n, r)
        Embeddings of the partners, e.g. ``Y @ G2.T``.

    Returns
    -------
    float
        Fraction of rows of ``E1`` whose nearest row of ``E2`` is their partner.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> E = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> mmcl.retrieval_accuracy(E, 2 * E)
    1.0
    >>> mmcl.retrieval_accuracy(E, E[[1, 0, 2]])
    0.3333333333333333
    """
    E1 = as_data(E1, "E1", min_rows=1)
    E2 = as_data(E2, "E2", min_rows=1)
    if E1.shape != E2.shape:
        raise ValueError(
            f"E1 and E2 must have the same shape (n, r); got {E1.shape} and {E2.shape}"
        )
    tiny = np.finfo(float).tiny
    A = E1 / np.maximum(np.linalg.norm(E1, axis=1, keepdims=True), tiny)
    B = E2 / np.maximum(np.linalg.norm(E2, axis=1, keepdims=True), tiny)
    return float(np.mean(_retrieved(A, B)))


def _retrieved(A, B):
    """Whether row i of ``B`` is the first maximiser of ``A[i] @ B.T``, for unit rows.

    Exact in float64, and about twice as fast as the float64 argmax: a single-precision
    product screens every row, within a rigorous bound ``e`` of its error (unit rows, so
    each entry is off by at most about ``(r + 3) 2**-24``; ``e`` doubles that). With the
    partner's entry lowered by ``2 e``, a row whose screened argmax is still its partner
    is correct; a row whose screened winner beats the partner in float64 is wrong; the
    rare remaining rows (near-ties within ``2 e``) are decided by their float64 row.
    """
    n, r = A.shape
    e = (r + 4) * 2.0**-23
    partner = np.einsum("ij,ij->i", A, B)
    A32, Bt32 = A.astype(np.float32), np.ascontiguousarray(B.T, dtype=np.float32)
    best = np.empty(n, dtype=np.int64)
    # Blocks of 32 rows keep each block of similarities in cache. One BLAS thread:
    # these thin products gain nothing from threads and stall when cores are shared.
    with one_blas_thread():
        for i in range(0, n, 32):
            S = A32[i : i + 32] @ Bt32
            rows = np.arange(S.shape[0])
            S[rows, rows + i] -= np.float32(2 * e)
            best[i : i + 32] = np.argmax(S, axis=1)
    index = np.arange(n)
    found = best == index
    other = np.flatnonzero(~found)
    beaten = np.einsum("ij,ij->i", A[other], B[best[other]]) > partner[other]
    unsure = other[~beaten]
    if unsure.size:
        with one_blas_thread():
            found[unsure] = np.argmax(A[unsure] @ B.T, axis=1) == unsure
    return found


def probe_accuracy(E_train, labels_train, E_test, labels_test, *, ridge: float = 1e-3) -> float:
    """Accuracy of a linear probe (one-vs-rest ridge regression) on embeddings.

    The embeddings are standardised with the training mean and standard
    deviation; a ridge least-squares fit with intercept maps them to one-hot
    labels, and a test point gets the class with the largest output.
    Introduced in the chapter `robustness`.

    Parameters
    ----------
    E_train : array, shape (n_train, r)
    labels_train : array of int, shape (n_train,)
    E_test : array, shape (n_test, r)
    labels_test : array of int, shape (n_test,)
    ridge : float >= 0
        Penalty on the squared weights (in units of ``n_train``).

    Returns
    -------
    float
        Fraction of test points classified correctly.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> E = np.array([[0.0], [0.1], [1.0], [1.1]])
    >>> mmcl.probe_accuracy(E, [0, 0, 1, 1], E, [0, 0, 1, 1])
    1.0
    """
    E_train = as_data(E_train, "E_train", min_rows=2)
    E_test = as_data(E_test, "E_test", min_rows=1)
    ridge = as_nonnegative(ridge, "ridge")
    if E_test.shape[1] != E_train.shape[1]:
        raise ValueError(
            f"E_test must have {E_train.shape[1]} columns like E_train; got {E_test.shape[1]}"
        )
    y_train, y_test = np.asarray(labels_train), np.asarray(labels_test)
    if y_train.shape != (E_train.shape[0],):
        raise ValueError(f"labels_train must have shape ({E_train.shape[0]},); got {y_train.shape}")
    if y_test.shape != (E_test.shape[0],):
        raise ValueError(f"labels_test must have shape ({E_test.shape[0]},); got {y_test.shape}")
    classes, codes = np.unique(y_train, return_inverse=True)
    mean, sd = E_train.mean(axis=0), E_train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    F = np.column_stack([(E_train - mean) / sd, np.ones(E_train.shape[0])])
    T = np.eye(classes.size)[codes]
    # Ridge as least squares on rows appended to F (stable, also for ridge = 0);
    # the intercept (last column) is not penalised.
    root = np.sqrt(ridge * E_train.shape[0]) * np.eye(F.shape[1])[:-1]
    W = np.linalg.lstsq(
        np.vstack([F, root]), np.vstack([T, np.zeros((root.shape[0], T.shape[1]))]), rcond=None
    )[0]
    F_test = np.column_stack([(E_test - mean) / sd, np.ones(E_test.shape[0])])
    predicted = classes[np.argmax(F_test @ W, axis=1)]
    return float(np.mean(predicted == y_test))


def detection_scores(pairs, truth):
    """Precision and recall of detected pairs against the hidden true pairs.

    Precision is the fraction of detected pairs that are true pairs (1 when
    nothing is detected), recall the fraction of true pairs detected (1 when
    there are none). Introduced in the chapter `unpaired`.

    Parameters
    ----------
    pairs : array of int, shape (k, 2)
        Detected ``(row of Xu, row of Yu)``.
    truth : array of int, shape (t, 2)
        True pairs.

    Returns
    -------
    precision, recall : float

    Examples
    --------
    >>> import mmcl
    >>> mmcl.detection_scores([[0, 1], [2, 0]], [[0, 1], [1, 2]])
    (0.5, 0.5)
    """
    P, T = _index_pairs(pairs, "pairs"), _index_pairs(truth, "truth")
    hits = len(set(map(tuple, P.tolist())) & set(map(tuple, T.tolist())))
    precision = hits / len(P) if len(P) else 1.0
    recall = hits / len(T) if len(T) else 1.0
    return float(precision), float(recall)


def _index_pairs(P, name: str) -> np.ndarray:
    """``P`` as a (k, 2) integer array of (row of Xu, row of Yu); empty input gives (0, 2)."""
    P = np.asarray(P)
    if P.size == 0:
        return np.empty((0, 2), int)
    if P.ndim != 2 or P.shape[1] != 2 or not np.issubdtype(P.dtype, np.integer):
        raise ValueError(
            f"{name} must be a (k, 2) integer array of (row of Xu, row of Yu); "
            f"got shape {P.shape} and dtype {P.dtype}"
        )
    return P
