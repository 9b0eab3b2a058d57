"""The assignment step of the chapter `unpaired`: matching with a price.

For encoders held fixed, the loss with a matching variable is minimised by a
maximum-weight assignment of the similarities in which a pair is kept only
when its similarity beats the price ``theta``; the price is calibrated with a
decoy null at a target false-discovery rate.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from ._checks import as_data, as_price, as_target_fdr

__all__ = [
    "MAX_ASSIGNMENT_BYTES",
    "match_pairs",
    "best_match_values",
    "decoy_threshold",
    "assignment_blocks",
]

#: Default ceiling on the memory one assignment problem may use (bytes).
MAX_ASSIGNMENT_BYTES = 2**30
# The similarity matrix, its thresholded copy and SciPy's internal copy.
_COPIES = 3


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
    none), so that ``s > theta`` keeps exactly the real matches ``>= t``.
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
    return float(np.nextafter(real[ok[-1]], -np.inf))


def _finite_values(values, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=float).ravel()
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return values


def assignment_blocks(m1: int, m2: int, batch_size, max_bytes: int):
    """Row blocks of ``Xu`` and ``Yu`` matched with each other (one block if global).

    Refuses (``ValueError``) problems whose similarity matrices would need
    more than ``max_bytes``. Introduced in the chapter `unpaired`.

    Returns
    -------
    blocks1, blocks2 : lists of int arrays
        Block ``k`` of ``Xu`` is matched with block ``k`` of ``Yu`` only.
    """
    if batch_size is None:
        need = _COPIES * 8 * m1 * m2
        if need > max_bytes:
            raise ValueError(
                f"a global assignment between m1 = {m1} and m2 = {m2} unpaired samples needs about "
                f"{need / 2**20:.0f} MiB (limit max_assignment_bytes = "
                f"{max_bytes / 2**20:.0f} MiB); "
                f"pass batch_size to match within batches, or raise the limit"
            )
        return [np.arange(m1)], [np.arange(m2)]
    b = int(np.ceil(max(m1, m2) / batch_size))
    if _COPIES * 8 * int(np.ceil(m1 / b)) * int(np.ceil(m2 / b)) > max_bytes:
        raise ValueError(
            f"batch_size = {batch_size} gives assignment problems above "
            f"max_assignment_bytes = {max_bytes}; use a smaller batch_size"
        )
    return np.array_split(np.arange(m1), b), np.array_split(np.arange(m2), b)
