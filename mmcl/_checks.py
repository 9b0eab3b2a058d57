"""Input validation shared by the public functions of :mod:`mmcl`.

Every check raises :class:`TypeError` or :class:`ValueError` with a message
that names the offending argument and says what was expected. The memory
budget for n x n arrays (:func:`set_memory_budget`) lives here too: the
routines that hold such arrays call :func:`check_n_by_n` before allocating.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

__all__ = [
    "MemoryBudgetError",
    "set_memory_budget",
    "memory_budget",
    "check_n_by_n",
    "all_finite",
    "as_data",
    "as_pair",
    "as_encoders",
    "as_rank",
    "as_generator",
    "as_positive",
    "as_nonnegative",
    "as_probability",
    "as_int",
    "as_price",
    "as_target_fdr",
    "as_finite",
]


_FINITE_BLOCK = 1 << 20


def all_finite(A: np.ndarray) -> bool:
    """Whether every entry of ``A`` is finite.

    A finite sum proves it in one pass without a temporary (a NaN or inf entry
    makes the sum non-finite); only when the sum is not finite (bad entries, or
    an overflow) are the entries tested, in blocks of rows, so the boolean
    temporary stays small (testing an n x n array at once would take n^2 bytes).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(A, dtype=np.float64)):
            return True
    if A.size <= _FINITE_BLOCK:
        return bool(np.isfinite(A).all())
    step = max(1, _FINITE_BLOCK // max(1, A[0].size))
    return all(np.isfinite(A[i : i + step]).all() for i in range(0, A.shape[0], step))


def as_data(
    A,
    name: str,
    *,
    min_rows: int = 2,
    check_finite: bool = True,
    as_float64: bool = True,
) -> np.ndarray:
    """Return ``A`` as a float64 matrix with at least ``min_rows`` rows.

    Other real dtypes (float32, integers, bool) are converted with a full
    copy. With ``as_float64=False`` the array keeps its own real dtype, for
    routines that convert it block by block (:func:`mmcl.linear_cross_covariance`).
    """
    if isinstance(A, (str, bytes)) or A is None:
        raise TypeError(f"{name} must be a 2-D array of real numbers; got {type(A).__name__}")
    try:
        arr = np.asarray(A)
    except Exception as exc:  # pragma: no cover - numpy raises many types here
        raise TypeError(f"{name} must be a 2-D array of real numbers") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or arr.dtype == bool
    ):
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows are samples); got shape {arr.shape}")
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} rows (samples); got {arr.shape[0]}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one column; got shape {arr.shape}")
    if as_float64:
        arr = np.asarray(arr, dtype=np.float64)
    if check_finite and not all_finite(arr):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def as_pair(X, Y, *, check_finite: bool = True, as_float64: bool = True):
    """Validate paired data: two matrices with the same number of rows."""
    X = as_data(X, "X", check_finite=check_finite, as_float64=as_float64)
    Y = as_data(Y, "Y", check_finite=check_finite, as_float64=as_float64)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"X and Y must have the same number of rows (paired samples); "
            f"got {X.shape[0]} and {Y.shape[0]}"
        )
    return X, Y


def as_encoders(G1, G2, X, Y, *, check_finite: bool = True):
    """Validate encoders ``G1`` (r x d1) and ``G2`` (r x d2) against data."""
    G1 = as_data(G1, "G1", min_rows=1, check_finite=check_finite)
    G2 = as_data(G2, "G2", min_rows=1, check_finite=check_finite)
    if G1.shape[1] != X.shape[1]:
        raise ValueError(
            f"G1 must have shape (r, d1) with d1 = X.shape[1] = {X.shape[1]}; got {G1.shape}"
        )
    if G2.shape[1] != Y.shape[1]:
        raise ValueError(
            f"G2 must have shape (r, d2) with d2 = Y.shape[1] = {Y.shape[1]}; got {G2.shape}"
        )
    if G1.shape[0] != G2.shape[0]:
        raise ValueError(
            f"G1 and G2 must have the same number of rows r; got {G1.shape[0]} and {G2.shape[0]}"
        )
    return G1, G2


def as_int(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as a Python int within ``[low, high]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}; got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}; got {value}")
    return value


def as_rank(r, *dims: int) -> int:
    """Validate the representation dimension ``r`` (1 <= r <= min(dims))."""
    if isinstance(r, (bool, np.bool_)) or not isinstance(r, numbers.Integral):
        raise TypeError(f"r must be a positive integer; got {r!r}")
    r = int(r)
    if r < 1:
        raise ValueError(f"r must be a positive integer; got {r}")
    if dims and r > min(dims):
        raise ValueError(f"r must be at most min(d1, d2) = {min(dims)}; got r = {r}")
    return r


def _as_real(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    value = float(value)
    if np.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    return value


def as_positive(value, name: str, *, allow_inf: bool = False) -> float:
    """Return ``value`` as a float > 0."""
    value = _as_real(value, name)
    if not value > 0 or (np.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be a finite number > 0; got {value}")
    return value


def as_nonnegative(value, name: str) -> float:
    """Return ``value`` as a finite float >= 0."""
    value = _as_real(value, name)
    if not (value >= 0 and np.isfinite(value)):
        raise ValueError(f"{name} must be a finite number >= 0; got {value}")
    return value


def as_probability(value, name: str) -> float:
    """Return ``value`` as a float in [0, 1]."""
    value = _as_real(value, name)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1]; got {value}")
    return value


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """Accept a :class:`numpy.random.Generator` or an integer seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a numpy.random.Generator or an integer seed; got {type(rng).__name__}"
    )


def as_price(theta) -> float:
    """Return the price ``theta`` of a pair: a real number or +inf."""
    if isinstance(theta, (bool, np.bool_)) or not isinstance(
        theta, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"theta must be a real number (or +inf, or 'auto'); got {theta!r}")
    theta = float(theta)
    if np.isnan(theta) or theta == -np.inf:
        raise ValueError(f"theta must be a finite number or +inf; got {theta}")
    return theta


def as_target_fdr(q) -> float:
    """Return a target false-discovery rate, strictly between 0 and 1."""
    q = as_probability(q, "target_fdr")
    if not 0.0 < q < 1.0:
        raise ValueError(f"target_fdr must lie strictly between 0 and 1; got {q}")
    return q


def as_finite(value, name: str) -> float:
    """Return ``value`` as a finite float (any sign)."""
    value = _as_real(value, name)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value}")
    return value


# --- memory budget for n x n arrays -------------------------------------------------


class MemoryBudgetError(ValueError, MemoryError):
    """Refusal to allocate n x n arrays above the memory budget.

    Raised before the allocation, by the routines that hold n x n arrays (the
    logit matrix ``K`` and what is computed from it), with a message that
    names ``n`` and the memory needed. It is a :class:`ValueError` (the input
    is too large for the budget) and a :class:`MemoryError`. Introduced in
    the chapter `loss_to_svd`.
    """


def _default_budget() -> int:
    """Half the physical memory of the machine (8 GiB where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 8 << 30


_BUDGET = {"bytes": None}


def memory_budget() -> int:
    """The memory budget (bytes) for the n x n arrays of one computation.

    Half the physical memory unless set with :func:`set_memory_budget`.
    Introduced in the chapter `loss_to_svd`.

    Examples
    --------
    >>> import mmcl
    >>> mmcl.memory_budget() > 0
    True
    """
    value = _BUDGET["bytes"]
    return _default_budget() if value is None else value


def set_memory_budget(nbytes) -> int:
    """Set the memory budget for n x n arrays; return the previous budget (bytes).

    A loss holds a few n x n float64 arrays (``8 n^2`` bytes each: 3.2 GB at
    n = 20,000): CLIP's value and gradient one, its weights two, the generic
    :class:`mmcl.ContrastiveLoss` five. Before allocating them, the routines
    compare what they need with the budget and raise
    :class:`mmcl.MemoryBudgetError` naming ``n`` and the memory needed when it
    is exceeded, instead of filling the machine. Routines that never form an
    n x n array (:func:`mmcl.fit_svd`, the linear loss's value, gradient and
    ``S``, :func:`mmcl.contrastive_cross_covariance`) are not limited.
    Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    nbytes : int > 0 or None
        The budget in bytes; ``None`` restores the default, half the physical
        memory.

    Returns
    -------
    int
        The previous budget, to restore it later.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(500, 4)), rng.normal(size=(500, 3))
    >>> G1, G2 = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
    >>> previous = mmcl.set_memory_budget(1_000_000)      # 1 MB: below 8 * 500^2
    >>> try:
    ...     mmcl.clip_loss().value(G1, G2, X, Y)
    ... except mmcl.MemoryBudgetError as error:
    ...     print(str(error).split(":")[0])
    value_and_gradient of CLIPLoss needs 1 n x n float64 array at n = 500
    >>> _ = mmcl.set_memory_budget(previous)
    """
    previous = memory_budget()
    if nbytes is None:
        _BUDGET["bytes"] = None
        return previous
    if isinstance(nbytes, (bool, np.bool_)) or not isinstance(nbytes, numbers.Real):
        raise TypeError(f"nbytes must be a number of bytes (or None); got {nbytes!r}")
    if not (np.isfinite(nbytes) and nbytes > 0):
        raise ValueError(f"nbytes must be a finite number of bytes > 0; got {nbytes}")
    _BUDGET["bytes"] = int(nbytes)
    return previous


def _size(nbytes: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{nbytes:.0f} bytes"


def check_n_by_n(n: int, arrays: float, what: str) -> None:
    """Refuse (:class:`MemoryBudgetError`) when ``arrays`` n x n float64 arrays exceed the budget.

    ``what`` names the computation in the message, e.g. ``"weights of CLIPLoss"``.
    """
    needed = 8.0 * arrays * n * n
    budget = memory_budget()
    if needed > budget:
        count = f"{arrays:g} n x n float64 array{'' if arrays == 1 else 's'}"
        raise MemoryBudgetError(
            f"{what} needs {count} at n = {n}: {_size(needed)}, above the memory budget of "
            f"{_size(budget)}. Use fewer samples (or minibatches), or raise the budget with "
            "mmcl.set_memory_budget(nbytes)."
        )
