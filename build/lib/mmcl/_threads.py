"""Thread control for code that handles many small matrices."""

from __future__ import annotations

from threadpoolctl import threadpool_limits

__all__ = ["one_blas_thread"]


def one_blas_thread():
    """Context manager running BLAS on one thread.

    Thousands of small products gain nothing from threads, and on a shared
    machine threads slow them down several times.
    """
    return threadpool_limits(limits=1, user_api="blas")
