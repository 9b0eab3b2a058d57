"""The assignment step of the chapter `unpaired`: matching with a price.

For encoders held fixed, the loss with a matching variable is minimised by a
maximum-weight assignment of the similarities in which a pair is kept only
when its similarity beats the price ``theta``; the price is calibrated with a
decoy null at a target false-discovery rate. Two solvers: a dense one on the
full ``m1 x m2`` matrix (:func:`match_pairs`) and a sparse one on a graph of
candidate pairs (:func:`sparse_match`), which scales to tens of thousands of
samples.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from ._checks import as_data, as_int, as_price, as_target_fdr

__all__ = [
    "MAX_ASSIGNMENT_BYTES",
    "match_pairs",
    "sparse_match",
    "best_match_values",
    "decoy_threshold",
    "group_blocks",
    "as_groups",
]

#: Default ceiling on the memory one assignment problem may use (bytes).
MAX_ASSIGNMENT_BYTES = 2**30


def match_pairs(similarity, theta: float = 0.0):
    """Assignment step: the partial matching that maximises ``sum_P (s_ij - theta)``.

    Solves the linear assignment problem on ``max(s - theta, 0)`` with
    :func:`scipy.optimize.linear_sum_assignment` (Crouse, 2016)
    and keeps the assigned pairs with ``s_ij > theta``: ``theta`` is the price
    of a pair. Introduced in the chapter `unpaired`.

    Parameters
    ----------
    similarity : array, shape (m1, m2)
        ``s_ij``, e.g. ``(Xu @ G1.T) @ (Yu @ G2.T).T``.
    theta : float or +inf

    Returns
    -------
    pairs : ndarray of int, shape (k, 2)
        ``(row, column)`` of the kept pairs, sorted by row.
    values : ndarray, shape (k,)
        Their similarities.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> s = np.array([[3.0, 1.0], [2.0, 0.5]])
    >>> mmcl.match_pairs(s, theta=0.0)[0].tolist()
    [[0, 0], [1, 1]]
    >>> mmcl.match_pairs(s, theta=1.0)[0].tolist()   # (1, 1) is not worth its price
    [[0, 0]]
    """
    s = as_data(similarity, "similarity", min_rows=1)
    theta = as_price(theta)
    if theta == np.inf:
        return np.empty((0, 2), int), np.empty(0)
    rows, cols = linear_sum_assignment(np.maximum(s - theta, 0.0), maximize=True)
    values = s[rows, cols]
    keep = values > theta
    return np.column_stack([rows[keep], cols[keep]]), values[keep]


def best_match_values(similarity, *, return_indices: bool = False):
    """Similarities of the pairs chosen by the maximum-weight assignment (no price).

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    similarity : array, shape (m1, m2)
    return_indices : bool
        Also return the rows and columns of the assigned pairs.

    Returns
    -------
    values : ndarray, shape (min(m1, m2),)
    rows, cols : ndarrays of int, shape (min(m1, m2),)
        Only with ``return_indices``.

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.matching import best_match_values
    >>> best_match_values(np.array([[3.0, 1.0], [2.0, 0.5]])).tolist()
    [3.0, 0.5]
    """
    similarity = as_data(similarity, "similarity", min_rows=1)
    rows, cols = linear_sum_assignment(similarity, maximize=True)
    if return_indices:
        return similarity[rows, cols], rows, cols
    return similarity[rows, cols]


def decoy_threshold(real, decoy, target_fdr: float) -> float:
    """Price ``theta`` from target and decoy best matches at a target FDR.

    ``real`` are the similarities of the pairs chosen by the maximum-weight
    assignment on ``s``; ``decoy`` those chosen on the mirrored problem
    ``-s`` (similarities ``<e_i, -f_j>``), in which true partners are the
    least attractive pairs, so every decoy match is a best match among
    unrelated samples. For a threshold ``t`` the false discoveries among real
    matches ``>= t`` are estimated by one plus the number of decoy matches
    ``>= t`` (the ``+1`` keeps the estimate conservative when only a few
    matches pass, where a count of zero decoys says little); the returned
    ``theta`` is just below the smallest real value ``t`` with
    ``(1 + #decoy(>= t)) / #real(>= t) <= target_fdr`` (``+inf`` if there is
    none), halfway between ``t`` and the next lower value of either list, so that
    ``s > theta`` keeps exactly the real matches ``>= t`` and a score at the cut is not
    decided by round-off.
    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    real, decoy : array, shape (k,)
    target_fdr : float in (0, 1)

    Returns
    -------
    float

    Examples
    --------
    >>> import mmcl
    >>> mmcl.decoy_threshold([5.0, 4.0, 3.0, 0.5], [1.0, 0.6, 0.2, 0.1], 0.4) < 3.0
    True
    """
    q = as_target_fdr(target_fdr)
    real = np.sort(_finite_values(real, "real"))[::-1]
    decoy = np.sort(_finite_values(decoy, "decoy"))
    if real.size == 0:
        return np.inf
    n_decoy = decoy.size - np.searchsorted(decoy, real, side="left")  # decoys >= t
    fdp = (1.0 + n_decoy) / np.arange(1, real.size + 1)
    ok = np.flatnonzero(fdp <= q)
    if ok.size == 0:
        return np.inf
    t = real[ok[-1]]
    below = np.concatenate([real[real < t], decoy[decoy < t]])
    if below.size == 0:
        return float(t - 0.5 * max(abs(t), 1.0))
    return float((t + below.max()) / 2)  # halfway to the next score: robust to round-off


def _finite_values(values, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=float).ravel()
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return values


def group_blocks(groups, m1: int, m2: int):
    """Rows of ``Xu`` and of ``Yu`` matched with each other: one block per common label.

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    groups : None or (array of shape (m1,), array of shape (m2,))
        Integer labels of the rows of ``Xu`` and of ``Yu``; ``None``: one block.
    m1, m2 : int

    Returns
    -------
    blocks1, blocks2 : lists of int arrays
        Block ``k`` of ``Xu`` is matched with block ``k`` of ``Yu`` only; labels present on
        one side only are left out (their rows have no candidate partner).

    Examples
    --------
    >>> from mmcl.matching import group_blocks
    >>> b1, b2 = group_blocks(([0, 1, 0], [1, 0]), 3, 2)
    >>> [b.tolist() for b in b1], [b.tolist() for b in b2]
    ([[0, 2], [1]], [[1], [0]])
    """
    if groups is None:
        return [np.arange(m1)], [np.arange(m2)]
    g1, g2 = as_groups(groups, m1, m2)
    labels = np.intersect1d(g1, g2)
    return [np.flatnonzero(g1 == g) for g in labels], [np.flatnonzero(g2 == g) for g in labels]


def as_groups(groups, m1: int, m2: int):
    """Validate ``groups = (g1, g2)``: integer labels of the rows of ``Xu`` and ``Yu``."""
    if not isinstance(groups, (tuple, list)) or len(groups) != 2:
        raise TypeError(
            "groups must be a pair (labels of the rows of Xu, labels of the rows of Yu)"
        )
    out = []
    for g, m, name in ((groups[0], m1, "Xu"), (groups[1], m2, "Yu")):
        g = np.asarray(g)
        if g.shape != (m,) or not np.issubdtype(g.dtype, np.integer):
            raise ValueError(
                f"groups must hold one integer label per row of {name} (shape ({m},)); "
                f"got shape {g.shape} and dtype {g.dtype}"
            )
        out.append(g.astype(np.int64))
    return out[0], out[1]


def sparse_match(rows, cols, weights, m1: int, m2: int) -> np.ndarray:
    """Maximum-weight partial matching on a sparse bipartite graph.

    Keeps the edges of positive weight and solves a minimum-weight *full* matching
    (:func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`) of the graph augmented
    with one slack column per row and one slack row per column: real edges cost ``C - w``,
    every row may take its slack column and every column its slack row at cost ``C``, and each
    real edge ``(i, j)`` has a mirror edge (slack row ``j``, slack column ``i``) at cost ``C``.
    A full matching of the ``m1 + m2`` nodes per side costs ``(m1 + m2) C`` minus the weight
    of its real edges, and the all-slack matching always exists, so the minimum is the
    maximum-weight partial matching. The weights are divided by their maximum and ``C = 2``,
    which keeps every cost positive (SciPy reads a stored zero as a missing edge) and the
    costs precise for tiny weights. On a complete graph it equals :func:`match_pairs`.
    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    rows, cols : arrays of int, shape (E,)
        Edges ``(row of Xu, row of Yu)``; each edge at most once.
    weights : array, shape (E,)
        Edge weights (for the matching step: similarity minus price).
    m1, m2 : int
        Numbers of rows and of columns.

    Returns
    -------
    ndarray of int, shape (k, 2)
        The matched ``(row, column)`` pairs, sorted by row.

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.matching import sparse_match
    >>> sparse_match(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([3.0, 1.0, 2.5]), 2, 2)
    array([[0, 1],
           [1, 0]])
    """
    m1, m2 = as_int(m1, "m1", low=1), as_int(m2, "m2", low=1)
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    if not rows.shape == cols.shape == w.shape or rows.ndim != 1:
        raise ValueError("rows, cols and weights must be 1-D arrays of the same length")
    if rows.size and (rows.min() < 0 or rows.max() >= m1 or cols.min() < 0 or cols.max() >= m2):
        raise ValueError(f"rows must lie in [0, {m1}) and cols in [0, {m2})")
    if not np.isfinite(w).all():
        raise ValueError("weights must contain only finite values")
    keep = w > 0
    rows, cols, w = rows[keep], cols[keep], w[keep]
    if w.size == 0:
        return np.empty((0, 2), dtype=np.int64)
    w = w / w.max()  # relative weights: costs C - w keep their precision for tiny weights
    C = 2.0
    slack1, slack2 = np.arange(m1), np.arange(m2)
    i_all = np.concatenate([rows, m1 + cols, slack1, m1 + slack2])
    j_all = np.concatenate([cols, m2 + rows, m2 + slack1, slack2])
    cost = np.concatenate([C - w, np.full(w.size + m1 + m2, C)])
    graph = sparse.csr_array((cost, (i_all, j_all)), shape=(m1 + m2, m2 + m1))
    row_of, col_of = min_weight_full_bipartite_matching(graph)
    real = (row_of < m1) & (col_of < m2)
    P = np.column_stack([row_of[real], col_of[real]]).astype(np.int64)
    return P[np.argsort(P[:, 0], kind="stable")]
