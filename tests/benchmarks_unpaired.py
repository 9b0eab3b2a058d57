"""Scale benchmark of `mmcl.fit_with_unpaired` (called by `make bench`). Reported, never asserted.

The default (whitened family, sparse candidate graphs) on the chapter's structured setting
(d1 = d2 = 40, r = 10, n = 40 pairs, half of the unpaired samples partnered, a rank-3 nuisance
per modality, signal-to-noise 32) at m = 2,000, 8,000 and 20,000 unpaired samples per
modality: wall-clock time, peak traced memory (NumPy allocations, ``tracemalloc``) and the
process's peak resident memory, with detection precision and recall. Then the sparse
matching against the dense assignment at m = 4,000 (the dense one needs minutes).
Goals: m = 20,000 in at most 60 s and 2 GB on 2 cores; at m = 4,000 the sparse precision and
recall no worse than the dense ones.
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc

import mmcl
from mmcl.experiments.unpaired import unpaired_problem

SETTING = dict(noise="structured", snr=32.0, n=40, d=40, r=10, fraction=0.5)
TIME_GOAL_S, MEMORY_GOAL_MB = 60.0, 2048.0


def _fit(m: int, seed: int = 3, **options):
    p = unpaired_problem(**SETTING, m=m, rng=seed)
    data = (p.pairs.X, p.pairs.Y, p.unpaired.Xu, p.unpaired.Yu, 10)
    tracemalloc.start()
    t0 = time.perf_counter()
    fit = mmcl.fit_with_unpaired(*data, **options)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    precision, recall = mmcl.detection_scores(fit.pairs, p.unpaired.truth)
    return dict(
        m=m,
        seconds=seconds,
        traced_mb=peak,
        rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        precision=precision,
        recall=recall,
        rounds=len(fit.history["theta"]) - 1,
    )


def bench_scale(ms=(2_000, 8_000, 20_000)):
    return [_fit(m) for m in ms]


def bench_dense_vs_sparse(m: int = 4_000, seeds=(100, 101)):
    return [
        {"seed": s, "matching": k, **_fit(m, seed=s, matching=k, max_assignment_bytes=2**32)}
        for s in seeds
        for k in ("sparse", "dense")
    ]


def main(dense: bool = True):
    for row in bench_scale():
        print(
            f"fit_with_unpaired m={row['m']:>6}: {row['seconds']:7.1f} s, traced peak "
            f"{row['traced_mb']:7.1f} MB, process peak {row['rss_mb']:7.1f} MB, "
            f"precision {row['precision']:.3f}, recall {row['recall']:.3f}, "
            f"{row['rounds']} rounds (goal <= {TIME_GOAL_S:.0f} s, <= {MEMORY_GOAL_MB:.0f} MB)"
        )
    if dense:
        for row in bench_dense_vs_sparse():
            print(
                f"m={row['m']} seed {row['seed']} {row['matching']:>6}: {row['seconds']:7.1f} s, "
                f"precision {row['precision']:.3f}, recall {row['recall']:.3f}"
            )


if __name__ == "__main__":
    main(dense="--no-dense" not in sys.argv)
