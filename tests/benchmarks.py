"""Speed benchmarks (`make bench`). Timings are reported, never asserted.

Each ratio compares a routine of mmcl with the work it cannot avoid, measured
in the same process, so the numbers mean the same on any machine.
"""

from __future__ import annotations

import time

import numpy as np

import mmcl


def best_time(fn, repeat: int = 7) -> float:
    """Smallest wall-clock time of ``repeat`` calls (seconds)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_fit_svd(n=200_000, d=100, r=10):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    gemm = best_time(lambda: X.T @ Y)
    fit = best_time(lambda: mmcl.fit_svd(X, Y, r))
    return {"n": n, "d": d, "gemm_s": gemm, "fit_svd_s": fit, "ratio": fit / gemm, "goal": 1.5}


def bench_clip(n=2048, d=128, r=16):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    G1, G2 = 0.1 * rng.standard_normal((r, d)), 0.1 * rng.standard_normal((r, d))
    loss = mmcl.clip_loss(tau=0.5, rho=0.1)

    def unavoidable():
        E1, E2 = X @ G1.T, Y @ G2.T
        K = E1 @ E2.T
        A = np.exp(K)
        B = np.exp(K.T)
        return A @ E2, B @ E1

    base = best_time(unavoidable)
    full = best_time(lambda: loss.value_and_gradient(G1, G2, X, Y))
    return {
        "n": n,
        "d": d,
        "r": r,
        "unavoidable_s": base,
        "clip_value_grad_s": full,
        "ratio": full / base,
        "goal": 2.0,
    }


def main():
    svd = bench_fit_svd()
    print(
        f"fit_svd  n={svd['n']} d1=d2={svd['d']}: {svd['fit_svd_s'] * 1e3:7.1f} ms, one X.T @ Y "
        f"{svd['gemm_s'] * 1e3:7.1f} ms, ratio {svd['ratio']:.2f} (goal <= {svd['goal']})"
    )
    clip = bench_clip()
    print(
        f"CLIP value+gradient n={clip['n']} d={clip['d']} r={clip['r']}: "
        f"{clip['clip_value_grad_s'] * 1e3:7.1f} ms, "
        f"unavoidable work {clip['unavoidable_s'] * 1e3:7.1f} ms, ratio {clip['ratio']:.2f} "
        f"(goal <= {clip['goal']})"
    )
    report_book()


# --- The book: notebook execution times and explorer latency -----------------

BOOK_BUDGET_S, NOTEBOOK_BUDGET_S, CALLBACK_BUDGET_MS = 120.0, 45.0, 200.0


def book_notebooks():
    """The chapters (``.ipynb``) listed in _toc.yml, in reading order."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = re.findall(r"file:\s*(\S+)", (root / "_toc.yml").read_text())
    return [root / f"{f}.ipynb" for f in files if (root / f"{f}.ipynb").exists()]


def bench_notebooks(paths=None):
    """Wall-clock execution time (s) of each notebook, kernel start included.

    Executed with nbclient in the project's kernel, one at a time, as the book
    build does.
    """
    import os

    import nbformat
    from nbclient import NotebookClient

    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")  # the .venv kernel
    times = {}
    for path in paths if paths is not None else book_notebooks():
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        t0 = time.perf_counter()
        try:
            client.execute()
        except Exception as exc:  # report the failure, keep timing the others
            print(
                f"notebook {path.name} failed: {type(exc).__name__}: "
                f"{str(exc).strip().splitlines()[-1]}"
            )
            times[path.name] = float("nan")
            continue
        times[path.name] = time.perf_counter() - t0
    return times


def bench_explorers(repeat: int = 7):
    """Median latency (ms) of each registered explorer's callback at its defaults.

    A callback is what a slider move costs: ``compute(**defaults)`` plus
    drawing the result on a fresh figure and rendering it (``canvas.draw``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import mmcl.widgets

    out = {}
    for name, factory in mmcl.widgets.EXPLORERS.items():
        explorer = factory()
        params = explorer.defaults
        computes, totals = [], []
        for _ in range(repeat + 1):  # the first call warms caches and is dropped
            t0 = time.perf_counter()
            data = explorer.compute(**params)
            t1 = time.perf_counter()
            fig = plt.figure(figsize=explorer.figsize)
            explorer.draw(fig, data, params)
            fig.canvas.draw()
            plt.close(fig)
            computes.append(t1 - t0)
            totals.append(time.perf_counter() - t0)
        out[name] = {
            "compute_ms": 1e3 * float(np.median(computes[1:])),
            "callback_ms": 1e3 * float(np.median(totals[1:])),
        }
    return out


def report_book():
    """Print notebook times and explorer latencies against their budgets."""

    def mark(ok):
        return "ok" if ok else "OVER BUDGET"

    times = bench_notebooks()
    for name, t in times.items():
        print(
            f"notebook {name:28s} {t:6.1f} s   "
            f"(budget {NOTEBOOK_BUDGET_S:.0f} s: {mark(t <= NOTEBOOK_BUDGET_S)})"
        )
    total = sum(times.values())  # nan if a notebook failed: then no budget is met
    print(
        f"whole book ({len(times)} notebooks)       {total:6.1f} s   "
        f"(budget {BOOK_BUDGET_S:.0f} s: {mark(total <= BOOK_BUDGET_S)})"
    )
    for name, t in bench_explorers().items():
        print(
            f"explorer {name:28s} {t['callback_ms']:6.1f} ms  (compute {t['compute_ms']:.1f} ms; "
            f"budget {CALLBACK_BUDGET_MS:.0f} ms: {mark(t['callback_ms'] <= CALLBACK_BUDGET_MS)})"
        )


if __name__ == "__main__":
    main()
