"""Input validation shared by the public functions of :mod:`mmcl`.

Every check raises :class:`TypeError` or :class:`ValueError` with a message
that names the offending argument and says what was expected.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
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


def as_data(A, name: str, *, min_rows: int = 2, check_finite: bool = True) -> np.ndarray:
    """Return ``A`` as a float64 matrix with at least ``min_rows`` rows."""
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
    arr = np.asarray(arr, dtype=np.float64)
    if check_finite and not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def as_pair(X, Y, *, check_finite: bool = True):
    """Validate paired data: two matrices with the same number of rows."""
    X = as_data(X, "X", check_finite=check_finite)
    Y = as_data(Y, "Y", check_finite=check_finite)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"X and Y must have the same number of rows (paired samples); "
            f"got {X.shape[0]} and {Y.shape[0]}"
        )
    return X, Y


def as_encoders(G1, G2, X, Y):
    """Validate encoders ``G1`` (r x d1) and ``G2`` (r x d2) against data."""
    G1 = as_data(G1, "G1", min_rows=1)
    G2 = as_data(G2, "G2", min_rows=1)
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
