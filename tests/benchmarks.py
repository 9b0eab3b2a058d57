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
    return {"n": n, "d": d, "r": r, "unavoidable_s": base, "clip_value_grad_s": full,
            "ratio": full / base, "goal": 2.0}


def main():
    svd = bench_fit_svd()
    print(f"fit_svd  n={svd['n']} d1=d2={svd['d']}: {svd['fit_svd_s'] * 1e3:7.1f} ms, one X.T @ Y "
          f"{svd['gemm_s'] * 1e3:7.1f} ms, ratio {svd['ratio']:.2f} (goal <= {svd['goal']})")
    clip = bench_clip()
    print(f"CLIP value+gradient n={clip['n']} d={clip['d']} r={clip['r']}: {clip['clip_value_grad_s'] * 1e3:7.1f} ms, "
          f"unavoidable work {clip['unavoidable_s'] * 1e3:7.1f} ms, ratio {clip['ratio']:.2f} (goal <= {clip['goal']})")


if __name__ == "__main__":
    main()
