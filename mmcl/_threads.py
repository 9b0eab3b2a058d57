"""Thread control for code that handles many small matrices."""

from __future__ import annotations

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]

_CONTROLLER: list[ThreadpoolController] = []


def one_blas_thread():
    """Context manager running BLAS on one thread.

    Thousands of small products gain nothing from threads, and on a shared
    machine threads slow them down several times. The thread pools are found
    once (``threadpool_limits`` searches the loaded libraries on every call,
    about 5 ms), so entering the context costs microseconds.
    """
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")
