"""mmcl.candidates: scores, the decoy problem, sparse candidate graphs and the group check."""

import numpy as np
import pytest

import mmcl
from mmcl.candidates import (
    cosine_score,
    crossing_fraction,
    likelihood_ratio_score,
    match_with_decoy,
)


def test_likelihood_ratio_is_the_gaussian_log_ratio():
    rng = np.random.default_rng(0)
    A, B, rho = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), np.array([0.9, 0.5, 0.1])
    s = likelihood_ratio_score(A, B, rho).block(np.arange(5))

    def log_ratio(a, b):
        quad = (a**2 - 2 * rho * a * b + b**2) / (2 * (1 - rho**2))
        return np.sum(-0.5 * np.log(1 - rho**2) - quad + (a**2 + b**2) / 2)

    exact = np.array([[log_ratio(a, b) for b in B] for a in A])
    np.testing.assert_allclose(s, exact + 0.5 * np.sum(np.log(1 - rho**2)), atol=1e-12)
    # clipped above 0.95
    np.testing.assert_allclose(
        likelihood_ratio_score(A, B, [0.99, 0.5, 0.1]).block([0]),
        likelihood_ratio_score(A, B, [0.95, 0.5, 0.1]).block([0]),
    )


def test_mirrored_scores_are_the_scores_of_minus_y():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(30, 4)), rng.normal(size=(20, 4))
    s = likelihood_ratio_score(A, B, np.full(4, 0.8))
    np.testing.assert_allclose(
        s.mirrored().block(np.arange(30)),
        likelihood_ratio_score(A, -B, np.full(4, 0.8)).block(np.arange(30)),
    )
    c = cosine_score(A, B)
    np.testing.assert_allclose(c.mirrored().block(np.arange(30)), -c.block(np.arange(30)))
    np.testing.assert_allclose(c.sub([1, 2], [3]), c.block([1, 2])[:, [3]])
    np.testing.assert_allclose(
        c.at(np.array([1, 2]), np.array([3, 4])), c.block([1, 2])[[0, 1], [3, 4]]
    )


@pytest.mark.parametrize("seed", range(3))
def test_sparse_matching_equals_dense_at_a_fixed_price(seed):
    """With kappa = m2 the candidate graph keeps every entry above the price: the sparse
    matching is the dense one. With the decoy price the two calibrate on different lists (full
    assignments against matchings above the floor): the sparse price is a little more
    conservative (a partial matching lets decoy rows keep their best columns), and its pairs
    are nearly all among the dense ones."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(120, 4))
    perm = rng.permutation(120)
    s = cosine_score(Z[perm], Z + 0.3 * rng.normal(size=(120, 4)))
    dense = match_with_decoy(s, 0.2, method="dense", theta=0.8)
    sparse = match_with_decoy(s, 0.2, theta=0.8, kappa=120, block=7)
    assert sparse.values.sum() == pytest.approx(dense.values.sum())
    clear = cosine_score(Z[perm], Z + 0.1 * rng.normal(size=(120, 4)))
    auto = [match_with_decoy(clear, 0.1, method=k) for k in ("dense", "sparse")]
    a, b = (set(map(tuple, o.pairs.tolist())) for o in auto)
    assert len(a & b) >= 0.95 * len(b) and len(b) >= 0.8 * len(a) > 50


def test_fixed_price_and_groups():
    rng = np.random.default_rng(4)
    E = rng.normal(size=(60, 5))
    s = cosine_score(E, E + 0.05 * rng.normal(size=E.shape))
    g = np.arange(60) // 20
    out = match_with_decoy(s, 0.1, theta=0.9, groups=(g, g))
    assert out.theta == 0.9 and np.all(out.values > 0.9)
    assert np.all(g[out.pairs[:, 0]] == g[out.pairs[:, 1]]) and len(out.pairs) > 50
    nothing = match_with_decoy(s, 0.1, theta=np.inf)
    assert nothing.pairs.shape == (0, 2)
    with pytest.raises(ValueError, match="method"):
        match_with_decoy(s, 0.1, method="greedy")
    with pytest.raises(ValueError, match="groups"):
        match_with_decoy(s, 0.1, groups=(g[:10], g))


def test_crossing_fraction():
    rng = np.random.default_rng(5)
    E = rng.normal(size=(200, 5))
    s = cosine_score(E, E + 0.1 * rng.normal(size=E.shape))
    blocks = np.arange(200) // 50
    fraction, confident = crossing_fraction(s, (blocks, blocks), 0.1)
    assert fraction == 0.0 and confident > 150
    fraction, confident = crossing_fraction(s, (blocks, rng.permutation(blocks)), 0.1)
    assert fraction > 0.5 and confident > 100
    noise = cosine_score(rng.normal(size=(50, 2)), rng.normal(size=(50, 2)))
    f, c = crossing_fraction(noise, (np.zeros(50, int), np.zeros(50, int)), 0.05)
    assert c == 0 and np.isnan(f)


def test_decoy_match_reports_the_estimate():
    rng = np.random.default_rng(6)
    E = rng.normal(size=(100, 3))
    out = match_with_decoy(cosine_score(E, E + 0.5 * rng.normal(size=E.shape)), 0.2)
    if np.isfinite(out.theta):
        assert (1 + out.n_decoy) / len(out.pairs) <= 0.2 + 1e-12
    assert isinstance(out, mmcl.DecoyMatch)
