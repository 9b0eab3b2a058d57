"""mmcl.matching: the assignment step with a price, and the decoy-calibrated price."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mmcl
from mmcl.matching import best_match_values, group_blocks


def _best_partial_value(s, theta):
    """Brute force over every partial matching (each row and column at most once)."""
    m1, m2 = s.shape
    best = 0.0
    for choice in itertools.product(range(-1, m2), repeat=m1):
        cols = [c for c in choice if c >= 0]
        if len(cols) != len(set(cols)):
            continue
        best = max(best, sum(s[i, c] - theta for i, c in enumerate(choice) if c >= 0))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_assignment_step_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    m1, m2 = rng.integers(1, 5, size=2)
    s = rng.normal(size=(m1, m2))
    theta = rng.normal(scale=0.7)
    pairs, values = mmcl.match_pairs(s, theta)
    assert np.all(values > theta)
    assert len(set(pairs[:, 0])) == len(pairs) and len(set(pairs[:, 1])) == len(pairs)
    assert np.allclose(values, s[pairs[:, 0], pairs[:, 1]])
    assert np.isclose(np.sum(values - theta), _best_partial_value(s, theta), atol=1e-12)
    # the full assignment over all permutations gives the same optimum
    big = max(m1, m2)
    pad = np.zeros((big, big))
    pad[:m1, :m2] = np.maximum(s - theta, 0)
    brute = max(sum(pad[i, p[i]] for i in range(big)) for p in itertools.permutations(range(big)))
    assert np.isclose(np.sum(values - theta), brute, atol=1e-12)


def test_price_is_monotone():
    rng = np.random.default_rng(3)
    s = rng.normal(size=(30, 25))
    counts = [len(mmcl.match_pairs(s, t)[0]) for t in np.linspace(-5, 5, 21)]
    assert all(a >= b for a, b in zip(counts, counts[1:]))
    assert counts[0] == 25 and counts[-1] == 0


def test_infinite_price_matches_nothing():
    pairs, values = mmcl.match_pairs(np.ones((3, 2)), np.inf)
    assert pairs.shape == (0, 2) and values.shape == (0,)


def test_matching_follows_a_permutation_of_the_columns():
    rng = np.random.default_rng(4)
    s = rng.normal(size=(6, 6))
    perm = rng.permutation(6)
    pairs, values = mmcl.match_pairs(s, -10.0)
    moved, moved_values = mmcl.match_pairs(s[:, perm], -10.0)
    np.testing.assert_array_equal(perm[moved[:, 1]], pairs[:, 1])
    np.testing.assert_allclose(moved_values, values)


def test_best_match_values_is_the_assignment_without_price():
    rng = np.random.default_rng(5)
    s = rng.normal(size=(5, 7))
    values, rows, cols = best_match_values(s, return_indices=True)
    assert values.shape == (5,)
    np.testing.assert_allclose(values, s[rows, cols])
    assert values.sum() == pytest.approx(mmcl.match_pairs(s + 100.0, 0.0)[1].sum() - 500.0)


def test_decoy_threshold():
    real, decoy = [0.9, 0.85, 0.8, 0.7, 0.1], [0.2, 0.1, 0.0]
    # at t = 0.7 the estimate is (1 + 0 decoys) / 4 discoveries; at t = 0.1 it is (1 + 2) / 5
    # the price sits halfway to the next lower value of either list
    assert mmcl.decoy_threshold(real, decoy, 0.3) == pytest.approx((0.7 + 0.2) / 2)
    assert mmcl.decoy_threshold(real, decoy, 0.6) == pytest.approx((0.1 + 0.0) / 2)
    assert mmcl.decoy_threshold(real, decoy, 0.2) == np.inf
    # a handful of matches with no decoy above them is not enough evidence
    assert mmcl.decoy_threshold([0.9, 0.8], [], 0.1) == np.inf
    assert mmcl.decoy_threshold([0.3, 0.2], [0.9, 0.8], 0.1) == np.inf
    assert mmcl.decoy_threshold([], [], 0.1) == np.inf


values = st.lists(st.floats(-1.0, 1.0, allow_nan=False), min_size=0, max_size=30)


@given(values, values, st.floats(0.01, 0.99))
def test_decoy_threshold_keeps_the_estimated_fdr_below_target(real, decoy, q):
    theta = mmcl.decoy_threshold(real, decoy, q)
    real, decoy = np.asarray(real), np.asarray(decoy)
    kept = real[real > theta]
    if not np.isfinite(theta):
        assert kept.size == 0
        candidates = real
    else:
        assert kept.size > 0
        t = kept.min()
        assert (1 + np.sum(decoy >= t)) / kept.size <= q
        candidates = real[real < t]
    # No lower threshold would also pass: the price is the most permissive one.
    for t in candidates:
        assert (1 + np.sum(decoy >= t)) / np.sum(real >= t) > q


def test_group_blocks():
    b1, b2 = group_blocks(None, 10, 7)
    assert [b.tolist() for b in b1] == [list(range(10))] and [b.tolist() for b in b2] == [
        list(range(7))
    ]
    g = np.arange(60) // 20
    b1, b2 = group_blocks((g, g[::-1]), 60, 60)
    assert len(b1) == len(b2) == 3 and all(len(b) == 20 for b in b1 + b2)
    np.testing.assert_array_equal(b2[0], np.arange(40, 60))
    b1, b2 = group_blocks(([0, 1, 2], [2, 2, 5]), 3, 3)  # only label 2 is on both sides
    assert [b.tolist() for b in b1] == [[2]] and [b.tolist() for b in b2] == [[0, 1]]
    with pytest.raises(ValueError, match="groups"):
        group_blocks(([0, 1], [0, 1]), 3, 2)
    with pytest.raises(TypeError, match="groups"):
        group_blocks(np.zeros(3), 3, 3)


@pytest.mark.parametrize("seed", range(6))
def test_sparse_match_equals_dense_on_a_complete_graph(seed):
    rng = np.random.default_rng(seed)
    m1, m2 = rng.integers(1, 40, size=2)
    s = rng.normal(size=(m1, m2))
    theta = rng.normal(scale=0.7)
    rows, cols = np.nonzero(np.ones((m1, m2), bool))
    P = mmcl.sparse_match(rows, cols, s[rows, cols] - theta, m1, m2)
    dense = mmcl.match_pairs(s, theta)[1]
    assert len(set(P[:, 0])) == len(P) and len(set(P[:, 1])) == len(P)
    assert np.all(np.diff(P[:, 0]) > 0)
    assert np.isclose(np.sum(s[P[:, 0], P[:, 1]] - theta), np.sum(dense - theta), atol=1e-9)


def test_sparse_match_on_a_sparse_graph_equals_brute_force():
    rng = np.random.default_rng(9)
    for _ in range(10):
        s = rng.normal(size=(4, 4))
        keep = rng.random((4, 4)) < 0.5
        rows, cols = np.nonzero(keep)
        P = mmcl.sparse_match(rows, cols, s[rows, cols], 4, 4)
        best = _best_partial_value(np.where(keep, s, -np.inf), 0.0)
        assert np.isclose(np.sum(s[P[:, 0], P[:, 1]]), best, atol=1e-12)


def test_sparse_match_keeps_tiny_weights_apart():
    """Weights of 1e-17 next to 1e-16: relative costs keep them apart."""
    P = mmcl.sparse_match(np.array([0, 0]), np.array([0, 1]), np.array([1e-17, 1e-16]), 1, 2)
    assert P.tolist() == [[0, 1]]
    assert mmcl.sparse_match(np.array([0]), np.array([0]), np.array([-1.0]), 1, 1).shape == (0, 2)
