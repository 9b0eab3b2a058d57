"""Seeds of the sweeps: one integer per seed, so that a seed's problem is the same in every
setting of a sweep (common random numbers)."""

from __future__ import annotations

from .._checks import as_generator, as_int

__all__ = ["seed_list"]


def seed_list(rng, seeds: int) -> list[int]:
    """One integer per seed from ``rng``: the problem of seed s is the same in every setting."""
    seeds = as_int(seeds, "seeds", low=1)
    return [int(v) for v in as_generator(rng).integers(2**63 - 1, size=seeds)]
