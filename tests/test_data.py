"""mmcl.data: the two-modality model, mismatch and unpaired samples."""

import numpy as np
import pytest

import mmcl


@pytest.mark.parametrize(
    "hetero, nuisance, support", [(0.0, 0, None), (2.0, 0, None), (0.0, 3, None), (0.0, 0, 8)]
)
def test_model_shapes_and_orthonormal_bases(hetero, nuisance, support):
    model = mmcl.make_model(
        30, 20, 4, rng=1, heteroskedasticity=hetero, nuisance_rank=nuisance, support=support
    )
    assert model.U1.shape == (30, 4) and model.U2.shape == (20, 4) and model.r == 4
    for U in (model.U1, model.U2):
        np.testing.assert_allclose(U.T @ U, np.eye(4), atol=1e-12)
    sample = model.sample(50, eps=0.3, rng=2)
    assert sample.X.shape == (50, 30) and sample.Y.shape == (50, 20)
    assert sample.Z.shape == (50, 4) and sample.matched.shape == (50,)
    assert sample.X.dtype == sample.Y.dtype == np.float64


def test_random_and_coherent_bases():
    U = mmcl.random_orthonormal(7, 3, np.random.default_rng(0))
    np.testing.assert_allclose(U.T @ U, np.eye(3), atol=1e-12)
    C = mmcl.coherent_orthonormal(50, 3, 6, np.random.default_rng(0))
    np.testing.assert_allclose(C.T @ C, np.eye(3), atol=1e-12)
    assert np.count_nonzero(np.abs(C).sum(axis=1)) == 6
    assert mmcl.coherence(C) >= 50 / 6 - 1e-9  # mass r on 6 coordinates: at least (d/r)(r/6)
    assert mmcl.coherence(np.eye(4)[:, :2]) == 2.0
    assert mmcl.coherence(np.full((4, 1), 0.5)) == pytest.approx(1.0)  # perfectly spread
    model = mmcl.make_model(50, 40, 3, rng=0, support=(6, 40))
    assert np.count_nonzero(np.abs(model.U1).sum(axis=1)) == 6
    assert np.count_nonzero(np.abs(model.U2).sum(axis=1)) == 40


@pytest.mark.parametrize("eps", [0.0, 0.2, 0.7, 1.0])
def test_mismatch_rate_matches_eps(eps):
    model = mmcl.make_model(8, 8, 2, rng=0)
    sample = model.sample(20000, eps=eps, rng=1)
    assert abs((~sample.matched).mean() - eps) < 4 * np.sqrt(eps * (1 - eps) / 20000) + 1e-12
    # E[x y^T] = (1 - eps) U1 Lambda U2^T: check on the same large sample
    S = sample.X.T @ sample.Y / sample.X.shape[0]
    assert np.abs(S - model.cross_covariance(eps)).max() < 0.15


def test_matched_pairs_share_their_latent():
    model = mmcl.make_model(8, 6, 2, rng=0, noise_sd=0.0)
    s = model.sample(200, eps=0.5, rng=1)
    np.testing.assert_allclose(s.X @ model.U1, s.Z, atol=1e-12)
    latent2 = s.Y @ model.U2
    np.testing.assert_allclose(latent2[s.matched], s.Z[s.matched], atol=1e-12)
    assert np.all(np.abs(latent2[~s.matched] - s.Z[~s.matched]).max(axis=1) > 1e-6)


def test_structured_and_heteroskedastic_noise_covariance():
    model = mmcl.make_model(
        6,
        5,
        2,
        rng=0,
        noise_sd=1.0,
        heteroskedasticity=(1.5, 0.0),
        nuisance_rank=(0, 2),
        nuisance_strength=2.0,
    )
    assert np.ptp(model.noise1.variances) > 1.0  # unequal variances
    assert np.isclose(model.noise1.variances.mean(), 1.0)
    assert model.noise2.loading.shape == (5, 2)
    sample = model.sample(200_000, rng=1)
    for m, data in ((1, sample.X), (2, sample.Y)):
        emp = np.cov(data, rowvar=False)
        true = model.covariance(m)
        assert np.abs(emp - true).max() < 0.05 * np.abs(true).max()


def test_noise_is_independent_across_modalities_under_full_mismatch():
    model = mmcl.make_model(10, 10, 2, rng=0, nuisance_rank=(3, 0))
    sample = model.sample(100_000, eps=1.0, rng=1)
    S = sample.X.T @ sample.Y / 100_000
    assert np.abs(S).max() < 0.1


def test_an_integer_seed_fixes_model_and_sample():
    a, b = mmcl.make_model(6, 5, 2, rng=4), mmcl.make_model(6, 5, 2, rng=4)
    np.testing.assert_array_equal(a.U1, b.U1)
    np.testing.assert_array_equal(a.sample(10, rng=5).X, b.sample(10, rng=5).X)


def test_mismatch_breaks_exactly_round_eps_n_pairs():
    Y = np.arange(40.0).reshape(20, 2)
    for eps, broken in ((0.0, 0), (0.05, 2), (0.5, 10), (1.0, 20)):
        Ys, matched = mmcl.mismatch(Y, eps, rng=3)
        assert (~matched).sum() == broken
        np.testing.assert_array_equal(np.all(Ys == Y, axis=1), matched)
        assert sorted(Ys[:, 0]) == sorted(Y[:, 0])  # a permutation of the rows


def test_sample_unpaired_truth_shares_latent():
    model = mmcl.make_model(12, 10, 3, rng=0, signal=4.0, noise_sd=0.0)
    un = mmcl.sample_unpaired(model, 40, partner_fraction=0.5, rng=2)
    Z1, Z2 = un.Xu @ model.U1, un.Yu @ model.U2
    assert un.truth.shape == (20, 2)
    assert np.allclose(Z1[un.truth[:, 0]], Z2[un.truth[:, 1]])
    others = np.setdiff1d(np.arange(40), un.truth[:, 1])
    assert not np.allclose(Z1[un.truth[0, 0]], Z2[others[0]])
    assert np.all(np.diff(un.truth[:, 0]) > 0)  # sorted by row of Xu, no repeats
    assert len(np.unique(un.truth[:, 1])) == 20


def test_sample_unpaired_sizes_and_batches():
    model = mmcl.make_model(6, 5, 2, rng=0)
    un = mmcl.sample_unpaired(model, 6, 5, partner_fraction=0.6, rng=1)
    assert un.Xu.shape == (6, 6) and un.Yu.shape == (5, 5) and un.truth.shape == (3, 2)
    batched = mmcl.sample_unpaired(model, 60, partner_fraction=1.0, batch_size=20, rng=1)
    assert batched.truth.shape == (60, 2)
    for i, j in batched.truth:
        assert i // 20 == j // 20
