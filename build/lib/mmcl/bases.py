"""Orthonormal bases of the shared features: random, or coherent, and their coherence.

Introduced in the chapter `loss_to_svd`; coherent bases matter in the
chapter `robustness`.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_data, as_generator, as_int

__all__ = ["random_orthonormal", "coherent_orthonormal", "coherence"]


def random_orthonormal(d: int, r: int, rng) -> np.ndarray:
    """Haar-random d x r matrix with orthonormal columns.

    Introduced in the chapter `loss_to_svd`.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> U = mmcl.random_orthonormal(5, 2, np.random.default_rng(0))
    >>> np.allclose(U.T @ U, np.eye(2))
    True
    """
    d = as_int(d, "d", low=1)
    r = as_int(r, "r", low=1, high=d)
    rng = as_generator(rng)
    Q, R = np.linalg.qr(rng.standard_normal((d, r)))
    return Q * np.sign(np.diag(R))


def coherent_orthonormal(d: int, r: int, support: int, rng) -> np.ndarray:
    """Orthonormal d x r matrix whose columns live on ``support`` coordinates.

    ``support = d`` gives a random (incoherent) basis; ``support = r`` puts all
    the mass on r coordinates (maximal coherence, ``coherence(U) = d/r``).
    The coordinates are chosen at random. Introduced in the chapter
    `robustness`.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> U = mmcl.coherent_orthonormal(10, 2, 3, np.random.default_rng(0))
    >>> int((np.abs(U).sum(axis=1) > 0).sum())
    3
    """
    d = as_int(d, "d", low=1)
    r = as_int(r, "r", low=1, high=d)
    support = as_int(support, "support", low=r, high=d)
    rng = as_generator(rng)
    U = np.zeros((d, r))
    rows = rng.choice(d, size=support, replace=False)
    U[rows] = random_orthonormal(support, r, rng)
    return U


def coherence(U) -> float:
    """Coherence ``(d/r) max_i ||U[i]||^2`` of an orthonormal d x r matrix (1 to d/r).

    Introduced in the chapter `robustness`.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> mmcl.coherence(np.eye(4)[:, :2])   # all mass on 2 of 4 coordinates: d/r
    2.0
    """
    U = as_data(U, "U", min_rows=1)
    d, r = U.shape
    return float(d / r * np.max(np.sum(U**2, axis=1)))
