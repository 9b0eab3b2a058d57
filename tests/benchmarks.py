"""Speed benchmarks (`make bench`). Timings are reported, never asserted.

A reader should be able to trust these numbers on a shared, noisy machine, so:

* A ratio compares a routine of mmcl with a baseline timed in the same rounds,
  interleaved (the order alternates from round to round), each call on fresh
  inputs; the results are compared with the baseline's after each round, which
  also proves that nothing was memoised. Rounds go on (at least 9) until the
  three smallest times of every routine agree within 2 %; the ratio is the
  ratio of the minima, reported with the quartiles of the per-round ratios.
  BLAS runs on one thread, and the ratios use that thread's CPU time
  (``time.thread_time``): they measure work, not how long other processes held
  the core (wall-clock minima are printed beside them). The C allocator keeps
  freed memory for reuse (``mallopt``), so the cost of fresh pages from the
  system, large and erratic in a virtual machine, does not enter the ratios.
* Every notebook is executed at least three times (interleaved with the others),
  the kernel start timed apart; the median decides the verdict.
* Explorer callbacks (``render`` at the defaults, then a PNG) are timed idle and
  with a busy loop on the other core: medians of at least 7 calls.

Run ``python tests/benchmarks.py --help`` for the sections.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import mmcl

ROOT = Path(__file__).resolve().parents[1]
MIN_ROUNDS, MAX_ROUNDS, MAX_SECONDS, SETTLED = 9, 81, 40.0, 0.02


# --- interleaved timing -------------------------------------------------------------


def interleaved(routines, fresh, check=None, *, min_rounds=MIN_ROUNDS, max_rounds=MAX_ROUNDS):
    """CPU and wall-clock times (s) of each routine per call, one sample per round.

    ``routines`` maps a name to ``fn(inputs) -> result``; ``fresh(k)`` makes the
    inputs of call ``k`` (untimed, shared by the routines); ``check(inputs,
    results)`` (untimed) compares the results of a round's last call. The order of
    the routines alternates between rounds. A sample averages as many calls (each
    on fresh inputs) as make it last about 20 ms, so that the timer's resolution
    stays small next to it. Stops once the three smallest CPU times of every
    routine agree within ``SETTLED``, or after ``max_rounds`` rounds or
    ``MAX_SECONDS``. Returns ``{name: cpu_times}, {name: wall_times}``.
    """
    names = list(routines)
    cpu = {name: [] for name in names}
    wall = {name: [] for name in names}
    warm = []
    for name in names:  # warm-up (caches, first-call imports), untimed
        t0 = time.perf_counter()
        routines[name](fresh(-1))
        warm.append(time.perf_counter() - t0)
    batch = int(np.clip(np.ceil(0.02 / max(min(warm), 1e-6)), 1, 200))
    start = time.perf_counter()
    for k in range(max_rounds):
        inputs = [fresh(k * batch + j) for j in range(batch)]
        results = {}
        order = names if k % 2 == 0 else names[::-1]
        gc.collect()
        gc.disable()
        try:
            for name in order:
                fn = routines[name]
                t0, c0 = time.perf_counter(), time.thread_time()
                for x in inputs:
                    results[name] = fn(x)
                cpu[name].append((time.thread_time() - c0) / batch)
                wall[name].append((time.perf_counter() - t0) / batch)
        finally:
            gc.enable()
        if check is not None:
            check(inputs[-1], results)
        if k + 1 >= min_rounds and all(_settled(t) for t in cpu.values()):
            break
        if time.perf_counter() - start > MAX_SECONDS and k + 1 >= min_rounds:
            break
    return ({n: np.array(t) for n, t in cpu.items()}, {n: np.array(t) for n, t in wall.items()})


def _settled(t) -> bool:
    smallest = np.sort(t)[:3]
    return smallest[-1] <= (1 + SETTLED) * smallest[0]


def ratio_line(label, timings, routine, baseline, goal=None) -> str:
    """``label: ratio of CPU-time minima [quartiles of the per-round ratios, ...]``."""
    cpu, wall = timings
    a, b = cpu[routine], cpu[baseline]
    q1, q3 = np.quantile(a / b, [0.25, 0.75])
    ratio = a.min() / b.min()
    verdict = "" if goal is None else f" (goal <= {goal}: {'ok' if ratio <= goal else 'MISSED'})"
    return (
        f"  {label:44s} {ratio:5.2f}  [per-round quartiles {q1:.2f}-{q3:.2f}; CPU "
        f"{a.min() * 1e3:.1f} / {b.min() * 1e3:.1f} ms, wall-clock ratio "
        f"{wall[routine].min() / wall[baseline].min():.2f}; {len(a)} rounds]{verdict}"
    )


def peak_memory(fn) -> int:
    """Peak of the memory allocated (bytes, NumPy included) during ``fn()``."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _close(a, b, rtol, what):
    err = np.linalg.norm(np.subtract(a, b)) / max(np.linalg.norm(b), 1e-300)
    if not err <= rtol:
        raise AssertionError(f"{what}: relative difference {err:.1e} > {rtol:g}")


# --- fit_svd against one GEMM ---------------------------------------------------------


def bench_fit_svd(n=200_000, d=100, r=10):
    """fit_svd (float64 and float32 data) against one float64 ``X.T @ Y``."""
    rng = np.random.default_rng(0)
    X32 = rng.standard_normal((n, d), dtype=np.float32)
    Y32 = rng.standard_normal((n, d), dtype=np.float32)
    X, Y = X32.astype(np.float64), Y32.astype(np.float64)  # the same numbers

    def fresh(k):  # a new first row each round: a memoised result would be caught
        for A, A32 in ((X, X32), (Y, Y32)):
            A32[0] = rng.standard_normal(d, dtype=np.float32)
            A[0] = A32[0]
        return X, Y

    def check(inputs, results):
        G = results["X.T @ Y"]
        S_ref = (G - np.outer(X.sum(0), Y.sum(0)) / n) / (n - 1)
        for name in ("fit_svd", "fit_svd float32"):
            if name in results:
                _close(results[name].S, S_ref, 1e-10, name)

    times = interleaved(
        {
            "X.T @ Y": lambda _: X.T @ Y,
            "fit_svd": lambda _: mmcl.fit_svd(X, Y, r),
            "fit_svd float32": lambda _: mmcl.fit_svd(X32, Y32, r),
        },
        fresh,
        check,
    )
    extra = peak_memory(lambda: mmcl.fit_svd(X32, Y32, r))
    print(f"fit_svd, n = {n}, d1 = d2 = {d}, r = {r}: time / one float64 GEMM X.T @ Y")
    print(ratio_line("float64 data", times, "fit_svd", "X.T @ Y", goal=1.5))
    print(
        ratio_line(
            "float32 data (float64 accumulation)", times, "fit_svd float32", "X.T @ Y", goal=1.5
        )
    )
    print(
        f"  memory allocated by fit_svd on float32 data: {extra / 2**20:.1f} MiB "
        f"(a float64 copy of X and Y would be {2 * X.nbytes / 2**20:.0f} MiB)"
    )


# --- every loss against a fused reference and the unavoidable work --------------------


def _regularised(value, dE1, dE2, G1, G2, X, Y, rho):
    dG1, dG2 = dE1.T @ X, dE2.T @ Y
    if rho:
        A1, A2 = G1 @ G1.T, G2 @ G2.T
        value += 0.5 * rho * float(np.vdot(A1, A2))
        dG1 += rho * A2 @ G1
        dG2 += rho * A1 @ G2
    return value, (dG1, dG2)


def clip_reference(loss, G1, G2, X, Y):
    """CLIP, fused: one exponential, rows shifted by their maxima, column sums by
    reweighting (two exponentials only where a column could underflow)."""
    tau, n = loss.tau, X.shape[0]
    E1, E2 = X @ G1.T, Y @ G2.T
    Z = E1 @ E2.T
    Z *= 1.0 / tau
    zd, m = Z.diagonal().copy(), Z.max(axis=1)
    M = m.max()
    if M - zd.min() > 500:  # a column could underflow: two exponentials
        c = Z.max(axis=0)
        Q = np.exp(Z - c)
        s, lse = Q.sum(axis=0), np.log(Q.sum(axis=0)) + c
        Z -= m[:, None]
        np.exp(Z, out=Z)
        r = Z.sum(axis=1)
        C = (Z / r[:, None] + Q / s) / (2 * n)
        C[np.diag_indices(n)] -= 1.0 / n
        value = tau * (np.sum(np.log(r) + m - zd) + np.sum(lse - zd)) / (2 * n)
        return _regularised(value, C @ E2, C.T @ E1, G1, G2, X, Y, loss.rho)
    Z -= m[:, None]
    np.exp(Z, out=Z)
    r, w = Z.sum(axis=1), np.exp(m - M)
    s = w @ Z
    value = tau * (np.sum(np.log(r) + m - zd) + np.sum(np.log(s) + M - zd)) / (2 * n)
    a, b, k = 1.0 / (2 * n * r), 1.0 / (2 * n * s), E1.shape[1]
    T1 = Z @ np.hstack([E2, b[:, None] * E2])
    T2 = Z.T @ np.hstack([a[:, None] * E1, w[:, None] * E1])
    dE1 = a[:, None] * T1[:, :k] + w[:, None] * T1[:, k:] - E2 / n
    dE2 = T2[:, :k] + b[:, None] * T2[:, k:] - E1 / n
    return _regularised(value, dE1, dE2, G1, G2, X, Y, loss.rho)


def infonce_reference(loss, G1, G2, X, Y):
    """One-sided InfoNCE x -> y: one exponential, the row softmax."""
    tau, n = loss.tau, X.shape[0]
    E1, E2 = X @ G1.T, Y @ G2.T
    Z = E1 @ E2.T
    Z *= 1.0 / tau
    zd, m = Z.diagonal().copy(), Z.max(axis=1)
    Z -= m[:, None]
    np.exp(Z, out=Z)
    r = Z.sum(axis=1)
    value = tau * np.sum(np.log(r) + m - zd) / n
    dE1 = ((Z @ E2) / r[:, None] - E2) / n
    dE2 = (Z.T @ (E1 / r[:, None]) - E1) / n
    return _regularised(value, dE1, dE2, G1, G2, X, Y, loss.rho)


def siglip_reference(loss, G1, G2, X, Y):
    """SigLIP: one exponential e = exp(-|u|) for the softplus and the sigmoid; the
    logarithms of the softplus are taken of products of 1000 factors 1 + e (each in
    [1, 2], so no overflow), not entry by entry."""
    t, b, n = loss.t, loss.b, X.shape[0]
    E1, E2 = X @ G1.T, Y @ G2.T
    U = E1 @ E2.T
    U *= t
    U += b
    d = np.diag_indices(n)
    U[d] = -U[d]  # u_ij = -z_ij (t K_ij + b)
    q = np.abs(U)
    np.negative(q, out=q)
    np.exp(q, out=q)  # e = exp(-|u|)
    C = np.where(U >= 0, 1.0, q)
    q += 1.0
    flat, m = q.ravel(), q.size - q.size % 1000
    logs = np.log(np.prod(flat[:m].reshape(-1, 1000), axis=1)).sum() + np.log(np.prod(flat[m:]))
    value = (np.maximum(U, 0).sum() + logs) / n
    C /= q  # sigmoid(u)
    C *= t / n
    C[d] = -C[d]
    return _regularised(value, C @ E2, C.T @ E1, G1, G2, X, Y, loss.rho)


def spectral_reference(loss, G1, G2, X, Y):
    """Spectral contrastive loss without an n x n matrix (O(n r^2))."""
    n = X.shape[0]
    E1, E2 = X @ G1.T, Y @ G2.T
    c = 1.0 / (n * (n - 1))
    A, B = E1.T @ E1, E2.T @ E2
    k = np.einsum("ij,ij->i", E1, E2)
    value = -2.0 * k.sum() / n + c * (np.vdot(A, B) - k @ k)
    dE1 = 2 * c * (E1 @ B - k[:, None] * E2) - (2.0 / n) * E2
    dE2 = 2 * c * (E2 @ A - k[:, None] * E1) - (2.0 / n) * E1
    return _regularised(value, dE1, dE2, G1, G2, X, Y, loss.rho)


def linear_reference(loss, G1, G2, X, Y):
    """Linear loss without an n x n matrix: column sums of the embeddings."""
    n = X.shape[0]
    E1, E2 = X @ G1.T, Y @ G2.T
    diag, s1, s2 = float(np.vdot(E1, E2)), E1.sum(axis=0), E2.sum(axis=0)
    value = -diag / n + (float(s1 @ s2) - diag) / (n * (n - 1))
    dE1, dE2 = (s2 / n - E2) / (n - 1), (s1 / n - E1) / (n - 1)
    return _regularised(value, dE1, dE2, G1, G2, X, Y, loss.rho)


#: factory name -> the tightest known implementation of the same loss (None: none known).
REFERENCES = {
    "clip_loss": clip_reference,
    "infonce_loss": infonce_reference,
    "siglip_loss": siglip_reference,
    "spectral_loss": spectral_reference,
    "linear_loss": linear_reference,
}


def unavoidable_n_by_n(G1, G2, X, Y):
    """What any n x n loss must do: K, one exponential over it, C E2 and C^T E1."""
    E1, E2 = X @ G1.T, Y @ G2.T
    K = E1 @ E2.T
    np.exp(K, out=K)
    return (K @ E2).T @ X, (K.T @ E1).T @ Y


def unavoidable_thin(G1, G2, X, Y):
    """What any loss must do: the embeddings and their products with the data."""
    E1, E2 = X @ G1.T, Y @ G2.T
    return E2.T @ X, E1.T @ Y


def loss_factories():
    """Every ``*_loss`` factory exported by :mod:`mmcl.losses`, by name."""
    return {
        name: getattr(mmcl.losses, name)
        for name in mmcl.losses.__all__
        if name.endswith("_loss") and callable(getattr(mmcl.losses, name))
    }


def bench_losses(n=2048, d=128, r=16):
    """Each loss at its default parameters: value and gradient on fresh encoders."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((n, d)), rng.standard_normal((n, d))

    def fresh(k):
        return 0.1 * rng.standard_normal((r, d)), 0.1 * rng.standard_normal((r, d))

    # A loss without an n x n array costs ~2 ms at n = 2048, where allocation and
    # cache effects blur its ratios; it is timed at a larger n.
    large = 16 * n
    Xl, Yl = rng.standard_normal((large, d)), rng.standard_normal((large, d))
    print(
        f"losses at default parameters, d1 = d2 = {d}, r = {r}: value and gradient at "
        f"n = {n} (n x n losses) or n = {large} (losses without an n x n array)"
    )
    for name, factory in loss_factories().items():
        bench_loss(name, factory(), X, Y, fresh, large=(Xl, Yl))


def bench_loss(name, loss, X, Y, fresh, large=None):
    """One loss against its fused reference (if known) and the unavoidable work."""
    n = X.shape[0]
    G1, G2 = fresh(0)
    forms_n_by_n = peak_memory(lambda: loss.value_and_gradient(G1, G2, X, Y)) > 4 * n * n
    if not forms_n_by_n and large is not None:
        X, Y = large
    unavoidable = unavoidable_n_by_n if forms_n_by_n else unavoidable_thin
    routines = {
        "mmcl": lambda g: loss.value_and_gradient(*g, X, Y),
        "unavoidable": lambda g: unavoidable(*g, X, Y),
    }
    reference = REFERENCES.get(name)
    note = ""
    if reference is not None:
        try:
            _compare(reference(loss, G1, G2, X, Y), loss.value_and_gradient(G1, G2, X, Y))
            routines["reference"] = lambda g: reference(loss, *g, X, Y)
        except (AttributeError, AssertionError) as exc:
            note = f" (reference not usable: {exc})"

    def check(inputs, results):
        if "reference" in results:
            _compare(results["reference"], results["mmcl"])

    times = interleaved(routines, fresh, check)
    route = "n x n" if forms_n_by_n else "no n x n array"
    print(f"  {name}() [{route}, n = {X.shape[0]}]{note}")
    if "reference" in times[0]:
        print(ratio_line("  / fused reference", times, "mmcl", "reference", goal=1.2))
    baseline = "K, one exp, C E2, C^T E1" if forms_n_by_n else "thin products only"
    print(ratio_line(f"  / unavoidable work ({baseline})", times, "mmcl", "unavoidable", goal=2.0))


def _compare(a, b, rtol=1e-9):
    _close(a[0], b[0], rtol, "value")
    for x, y in zip(a[1], b[1]):
        _close(x, y, rtol, "gradient")


# --- polish: evaluations per iteration --------------------------------------------------


def counting(loss):
    """A copy of ``loss`` that counts its evaluations, second-order setups and products."""
    counts = {"value_and_gradient": 0, "second_order": 0, "hessian_products": 0}

    class Counting(type(loss)):
        def value_and_gradient(self, *args):
            counts["value_and_gradient"] += 1
            return super().value_and_gradient(*args)

        def second_order(self, *args):
            counts["second_order"] += 1
            value, grad, hessp = super().second_order(*args)

            def counted(*v):
                counts["hessian_products"] += 1
                return hessp(*v)

            return value, grad, counted

    copy = Counting.__new__(Counting)
    copy.__dict__.update(loss.__dict__)
    return copy, counts


def bench_polish():
    """Loss evaluations of ``polish`` per L-BFGS iteration, from a GD end point."""
    from mmcl.experiments.loss_to_svd import chapter_sample

    print("polish (CLIP, from 150 gradient steps): loss evaluations")
    cases = [
        ("chapter, n = 200, tau = 1, rho = 0.2", 200, 1.0, 0.2, 3, None, {}),
        ("n = 2000, tau = 1, rho = 0.2", 2000, 1.0, 0.2, 3, None, {}),
        ("490 parameters, n = 500, maxiter = 3", 500, 1.0, 0.2, 5, (50, 48), {"maxiter": 3}),
    ]
    for label, n, tau, rho, r, dims, options in cases:
        if dims is None:
            X, Y, _ = chapter_sample(n, rng=0)
        else:
            model = mmcl.make_model(*dims, r, rng=0, signal=np.linspace(6, 3, r), noise_sd=1.0)
            sample = model.sample(n, rng=1)
            X, Y = sample.X - sample.X.mean(0), sample.Y - sample.Y.mean(0)
        loss = mmcl.clip_loss(tau=tau, rho=rho)
        start = mmcl.fit_gd(X, Y, r, loss, steps=150, lr=0.1, rng=2, init_scale=1e-2)
        counted, counts = counting(loss)
        with threadpool_limits(1):
            t0 = time.perf_counter()
            fit = mmcl.polish(X, Y, counted, init=(start.G1, start.G2), **options)
            elapsed = time.perf_counter() - t0
        grad = max(np.abs(g).max() for g in loss.gradient(fit.G1, fit.G2, X, Y))
        iterations = max(1, len(fit.history))
        print(
            f"  {label:38s} {counts['value_and_gradient']} evaluations, "
            f"{counts['second_order']} second-order setups, {counts['hessian_products']} "
            f"Hessian products for {len(fit.history)} iterations "
            f"({counts['value_and_gradient'] / iterations:.2f} evaluations per iteration); "
            f"max |grad| {grad:.1e}; {elapsed:.2f} s"
        )


# --- the first chapter's selection grid and explorer ---------------------------------------


def _median_range(values, unit="s", scale=1.0):
    v = scale * np.asarray(values)
    return f"median {np.median(v):.2f} {unit} (range {v.min():.2f}-{v.max():.2f}, {len(v)} runs)"


def bench_selection_grid(runs=3):
    """``selection_grid`` at the chapter's settings and the explorer's construction."""
    import mmcl.figures  # noqa: F401  (registers the explorers)
    from mmcl.experiments.loss_to_svd import chapter_sample
    from mmcl.widgets import EXPLORERS

    X, Y, _ = chapter_sample(200, rng=0)
    taus, rhos = (0.5, 1.0, 2.0, 5.0), (0.05, 0.2, 1.0, 4.0)
    grid, build = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        mmcl.selection_grid(X, Y, 3, taus=taus, rhos=rhos, rng=5)
        grid.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        EXPLORERS["loss_to_svd"]()
        build.append(time.perf_counter() - t0)
    print("chapter loss_to_svd")
    print(
        f"  selection_grid, 4 taus x 4 rhos, n = 200, d1 = 12, d2 = 10, r = 3: "
        f"{_median_range(grid)}"
    )
    print(f"  its explorer's construction (default grid): {_median_range(build)}")


# --- explorers: callback latency, idle and with the other core busy ----------------------

CALLBACK_BUDGET_MS = 200.0


def busy_loop():
    """A process spinning on one core (the last one), to be terminated by the caller."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        try:
            os.sched_setaffinity(proc.pid, {os.cpu_count() - 1})
        except OSError:
            pass
    return proc


def callback_times(explorer, repeat):
    """Seconds of ``explorer.png(**params)`` (what a control's move costs in the widget)
    over ``repeat`` rounds of real moves: each control one step from the defaults and
    back (:meth:`mmcl.widgets.Explorer.moves`), after a dropped first drawing."""
    steps = []
    for move in explorer.moves():
        steps += [move, explorer.defaults]
    explorer.png(**explorer.defaults)
    times = []
    for _ in range(repeat):
        for params in steps:
            t0 = time.perf_counter()
            explorer.png(**params)
            times.append(time.perf_counter() - t0)
    return np.array(times)


def bench_explorers(repeat=3):
    import matplotlib

    matplotlib.use("Agg")
    import mmcl.figures  # noqa: F401  (registers the explorers)
    from mmcl.widgets import EXPLORERS, PREVIEW_DPI

    print(
        f"explorer callbacks: a move of one control (and back) + PNG at {PREVIEW_DPI} dpi, "
        f"median over {repeat} rounds of every control's move (budget {CALLBACK_BUDGET_MS:.0f} ms)"
    )
    for name, factory in EXPLORERS.items():
        try:
            explorer = factory()
            idle = callback_times(explorer, repeat)
            proc = busy_loop()
            try:
                time.sleep(0.2)
                busy = callback_times(explorer, repeat)
            finally:
                proc.terminate()
                proc.wait()
        except Exception as exc:  # report the failure, keep timing the others
            print(f"  {name:24s} failed: {type(exc).__name__}: {exc}")
            continue
        verdicts = [
            f"{label} {1e3 * np.median(t):6.1f} ms (range {1e3 * t.min():.0f}-{1e3 * t.max():.0f}"
            f": {'ok' if 1e3 * np.median(t) <= CALLBACK_BUDGET_MS else 'OVER BUDGET'})"
            for label, t in (("idle", idle), ("other core busy", busy))
        ]
        print(f"  {name:24s} " + "; ".join(verdicts))


# --- notebooks -------------------------------------------------------------------------

BOOK_BUDGET_S, NOTEBOOK_BUDGET_S = 120.0, 45.0


def book_notebooks():
    """The chapters (``.ipynb``) listed in _toc.yml, in reading order."""
    import re

    files = re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text())
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def run_notebook(path):
    """``(kernel start, execution)`` in seconds; execution is nan if a cell fails."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    t0 = time.perf_counter()
    with client.setup_kernel(stderr=subprocess.DEVNULL):  # no kernel start-up chatter
        t1 = time.perf_counter()
        try:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
        except Exception as exc:  # report the failure, keep timing the others
            last = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
            print(f"  notebook {path.name} failed: {type(exc).__name__}: {last}")
            return t1 - t0, float("nan")
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def bench_notebooks(runs=3):
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")  # the .venv kernel
    paths = book_notebooks()
    starts = {p.name: [] for p in paths}
    execs = {p.name: [] for p in paths}
    for _ in range(runs):  # interleaved: a change of load hits every notebook alike
        for path in paths:
            start, run = run_notebook(path)
            starts[path.name].append(start)
            execs[path.name].append(run)
    print(
        f"notebooks: execution without the kernel start, {runs} runs each "
        f"(budget {NOTEBOOK_BUDGET_S:.0f} s each, {BOOK_BUDGET_S:.0f} s the book; "
        "verdicts on the medians)"
    )
    total = 0.0
    for name in execs:
        t = np.array(execs[name])
        median = float(np.median(t))
        total += median
        ok = median <= NOTEBOOK_BUDGET_S
        print(
            f"  {name:28s} {_median_range(t)}; kernel start median "
            f"{np.median(starts[name]):.2f} s: {'ok' if ok else 'OVER BUDGET'}"
        )
    ok = total <= BOOK_BUDGET_S
    print(
        f"  whole book ({len(execs)} notebooks): {total:.1f} s (sum of medians): "
        f"{'ok' if ok else 'OVER BUDGET'}"
    )


# --- main ------------------------------------------------------------------------------


def bench_unpaired():
    """The unpaired chapter's scale benchmark (``tests/benchmarks_unpaired.py``).

    The sparse matching at m = 2,000, 8,000 and 20,000; the comparison with the
    dense assignment (several minutes) runs with ``python tests/benchmarks_unpaired.py``.
    """
    import benchmarks_unpaired  # beside this file, on sys.path when run as a script

    benchmarks_unpaired.main(dense=False)


SECTIONS = {
    "fit_svd": bench_fit_svd,
    "losses": bench_losses,
    "polish": bench_polish,
    "grid": bench_selection_grid,
    "explorers": bench_explorers,
    "notebooks": bench_notebooks,
    "unpaired": bench_unpaired,
}


def steady_allocator():
    """Ask glibc to serve arrays below 256 MB from its heap and keep freed memory.

    By default it maps large arrays afresh and returns them on free, so every
    call pays page faults, whose cost varies from run to run in a virtual
    machine; a fixed threshold makes repeated calls reuse the same memory.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(-3, 256 << 20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError, TypeError):  # not glibc: keep the default
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", help=f"some of {', '.join(SECTIONS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; "
        f"numpy {np.__version__}, mmcl {mmcl.__version__}"
    )
    steady_allocator()
    for name in args.sections or SECTIONS:
        if name in ("fit_svd", "losses"):
            with threadpool_limits(1):
                SECTIONS[name]()
        else:
            SECTIONS[name]()


if __name__ == "__main__":
    main()
