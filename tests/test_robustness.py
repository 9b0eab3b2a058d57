"""Tests for the robustness chapter: data model, mismatch, baselines, metrics, sweeps."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mmcl
from mmcl.experiments import (clip_vs_linear, crossover_eps, digits_sweep, robustness_model,
                              robustness_sweep, sample_batch)


# --- data model -------------------------------------------------------------

@pytest.mark.parametrize("noise", ["isotropic", "heteroskedastic", "structured"])
@pytest.mark.parametrize("coherent", [False, True])
def test_model_shapes_and_orthonormal_bases(noise, coherent):
    model = robustness_model(noise, coherent, d=30, r=4, rng=1)
    assert model.U1.shape == (30, 4) and model.U2.shape == (30, 4)
    for U in (model.U1, model.U2):
        np.testing.assert_allclose(U.T @ U, np.eye(4), atol=1e-12)
    sample = model.sample(50, eps=0.3, rng=2)
    assert sample.X.shape == (50, 30) and sample.Y.shape == (50, 30)
    assert sample.Z.shape == (50, 4) and sample.matched.shape == (50,)


def test_coherent_basis_lives_on_few_coordinates():
    U = mmcl.coherent_orthonormal(50, 3, 6, np.random.default_rng(0))
    np.testing.assert_allclose(U.T @ U, np.eye(3), atol=1e-12)
    assert np.count_nonzero(np.abs(U).sum(axis=1)) == 6
    assert mmcl.coherence(U) >= 50 / 6 - 1e-9          # mass r on 6 coordinates: at least (d/r)(r/6)
    model = robustness_model("isotropic", True, d=50, r=3, rng=0)
    assert np.count_nonzero(np.abs(model.U1).sum(axis=1)) == 6


@pytest.mark.parametrize("eps", [0.0, 0.2, 0.7, 1.0])
def test_mismatch_rate_matches_eps(eps):
    model = robustness_model("isotropic", False, d=8, r=2, rng=0)
    sample = model.sample(20000, eps=eps, rng=1)
    assert abs((~sample.matched).mean() - eps) < 4 * np.sqrt(eps * (1 - eps) / 20000) + 1e-12
    # E[x y^T] = (1 - eps) U1 Lambda U2^T: check on the same large sample
    S = sample.X.T @ sample.Y / sample.X.shape[0]
    assert np.abs(S - model.cross_covariance(eps)).max() < 0.15


def test_structured_and_heteroskedastic_noise_covariance():
    model = mmcl.make_model(6, 5, 2, rng=0, noise_sd=1.0, heteroskedasticity=(1.5, 0.0),
                            nuisance_rank=(0, 2), nuisance_strength=2.0)
    assert np.ptp(model.noise1.variances) > 1.0                    # unequal variances
    assert np.isclose(model.noise1.variances.mean(), 1.0)
    assert model.noise2.loading.shape == (5, 2)
    sample = model.sample(200_000, rng=1)
    for m, data in ((1, sample.X), (2, sample.Y)):
        emp = np.cov(data, rowvar=False)
        true = model.covariance(m)
        assert np.abs(emp - true).max() < 0.05 * np.abs(true).max()


def test_noise_is_independent_across_modalities_under_full_mismatch():
    model = robustness_model("structured", False, d=10, r=2, rng=0)
    sample = model.sample(100_000, eps=1.0, rng=1)
    S = sample.X.T @ sample.Y / 100_000
    assert np.abs(S).max() < 0.1


def test_mismatch_breaks_exactly_round_eps_n_pairs():
    Y = np.arange(40.0).reshape(20, 2)
    for eps, broken in ((0.0, 0), (0.05, 2), (0.5, 10), (1.0, 20)):
        Ys, matched = mmcl.mismatch(Y, eps, rng=3)
        assert (~matched).sum() == broken
        np.testing.assert_array_equal(np.all(Ys == Y, axis=1), matched)
        assert sorted(Ys[:, 0]) == sorted(Y[:, 0])                  # a permutation of the rows


def test_digit_halves():
    X, Y, labels = mmcl.load_digit_halves()
    assert X.shape == Y.shape == (1797, 32)
    assert X.dtype == np.float64 and 0 <= X.min() and X.max() <= 16
    assert set(np.unique(labels)) == set(range(10))


def test_sample_batch_matches_model_distribution():
    model = robustness_model("structured", True, d=12, r=2, rng=0)
    b = sample_batch(model, 2, 40_000, np.random.default_rng(1))
    X = b["X"].reshape(-1, 12)
    assert np.abs(np.cov(X, rowvar=False) - model.covariance(1)).max() < 0.05 * model.covariance(1).max()
    eps = 0.4
    Y = (np.where((b["u"] >= eps)[..., None], b["Z"], b["Zp"]) @ model.U2.T + b["Xi2"]).reshape(-1, 12)
    assert np.abs(X.T @ Y / X.shape[0] - model.cross_covariance(eps)).max() < 0.1


# --- baselines ----------------------------------------------------------------

def test_masked_view_covariance_conditional_expectation():
    """Averaged over masks, S = (Sh - diag Sh)/4 + diag(Sh)/(4n) for centred X (Sh its covariance)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 3)) @ np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    Xc = X - X.mean(axis=0)
    n = X.shape[0]
    Sh = Xc.T @ Xc / (n - 1)
    expected = 0.25 * (Sh - np.diag(np.diag(Sh))) + np.diag(np.diag(Sh)) / (4 * n)
    S = mmcl.masked_view_covariance(X, rng=1, augmentations=40_000)
    np.testing.assert_allclose(S, expected, atol=0.02 * np.abs(Sh).max())


def test_unimodal_population_limit():
    model = robustness_model("heteroskedastic", True, d=15, r=2, rng=0)
    Sigma = model.covariance(1)
    X = model.sample(100_000, rng=1).X
    S = mmcl.masked_view_covariance(X, rng=2)
    pop = mmcl.masked_view_covariance_population(Sigma)
    assert np.linalg.norm(S - pop, 2) < 0.05 * np.linalg.norm(pop, 2)
    W = mmcl.unimodal_contrastive(X, 2, rng=3)
    Wp = mmcl.unimodal_contrastive_population(Sigma, 2)
    assert mmcl.sin_theta(W.T, Wp.T) < 0.1
    # the population limit is exactly the top eigenspace of Sigma - diag Sigma
    vals, vecs = np.linalg.eigh(Sigma - np.diag(np.diag(Sigma)))
    assert mmcl.sin_theta(Wp.T, vecs[:, -2:]) < 1e-10


def test_masking_removes_heteroskedastic_noise_but_not_structured_noise():
    U = np.ones((6, 1)) / np.sqrt(6)                                   # incoherent signal direction
    Sigma_het = 2.0 * U @ U.T + np.diag([0.1, 5.0, 0.2, 0.3, 0.1, 0.2])
    assert mmcl.sin_theta(mmcl.unimodal_contrastive_population(Sigma_het, 1).T, U) < 1e-10
    assert mmcl.sin_theta(np.linalg.eigh(Sigma_het)[1][:, -1:], U) > 0.5   # PCA follows the loud coordinate
    b = np.array([[1.0], [-1.0], [1.0], [-1.0], [0.0], [0.0]]) * 2
    Sigma_str = 2.0 * U @ U.T + b @ b.T + np.eye(6)
    assert mmcl.sin_theta(mmcl.unimodal_contrastive_population(Sigma_str, 1).T, U) > 0.9


def test_pca_top_eigenvectors():
    X = np.random.default_rng(0).standard_normal((3000, 4)) * np.array([3.0, 2.0, 1.0, 0.5])
    P = mmcl.pca(X, 2)
    np.testing.assert_allclose(P @ P.T, np.eye(2), atol=1e-12)
    assert mmcl.sin_theta(P.T, np.eye(4)[:, :2]) < 0.05


@given(st.integers(0, 2**32 - 1))
def test_pca_and_mmcl_invariant_to_row_order(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 5)) * np.array([3.0, 2.0, 1.0, 1.0, 0.5])
    Y = X[:, :4] + rng.standard_normal((60, 4))
    perm = rng.permutation(60)
    assert mmcl.sin_theta(mmcl.pca(X, 2).T, mmcl.pca(X[perm], 2).T) < 1e-8
    G, Gp = mmcl.fit_svd(X, Y, 2).G1, mmcl.fit_svd(X[perm], Y[perm], 2).G1
    assert mmcl.sin_theta(G.T, Gp.T) < 1e-8


def test_unimodal_row_order_in_distribution():
    model = robustness_model("isotropic", False, d=10, r=2, rng=0)
    X = model.sample(40_000, rng=1).X
    perm = np.random.default_rng(2).permutation(X.shape[0])
    W = mmcl.unimodal_contrastive(X, 2, rng=3)
    Wp = mmcl.unimodal_contrastive(X[perm], 2, rng=3)
    assert mmcl.sin_theta(W.T, Wp.T) < 0.05


def test_unimodal_centres_the_data():
    X = np.random.default_rng(0).standard_normal((500, 4))
    W = mmcl.unimodal_contrastive(X, 2, rng=1)
    W_shift = mmcl.unimodal_contrastive(X + 10.0, 2, rng=1)
    assert mmcl.sin_theta(W.T, W_shift.T) < 1e-8
    assert W.shape == (2, 4) and np.allclose(W @ W.T, np.eye(2))


# --- metrics ----------------------------------------------------------------

def test_retrieval_accuracy():
    rng = np.random.default_rng(0)
    E = rng.standard_normal((30, 4))
    assert mmcl.retrieval_accuracy(E, 3.0 * E) == 1.0
    perm = np.roll(np.arange(30), 1)
    assert mmcl.retrieval_accuracy(E, E[perm]) == 0.0


def test_probe_accuracy_separable_and_random():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    centres = np.array([[5.0, 0], [0, 5.0], [-5.0, -5.0]])
    E = centres[labels] + rng.standard_normal((600, 2))
    assert mmcl.probe_accuracy(E[:400], labels[:400], E[400:], labels[400:]) > 0.97
    noise = rng.standard_normal((600, 2))
    assert mmcl.probe_accuracy(noise[:400], labels[:400], noise[400:], labels[400:], ridge=0.0) < 0.5


# --- experiments --------------------------------------------------------------

def test_sweep_agrees_with_direct_computation():
    model = robustness_model("structured", True, d=12, r=2, rng=0)
    out = robustness_sweep(model, [300], [0.0, 0.6], seeds=2, rng=np.random.default_rng(5))
    rng = np.random.default_rng(5)                                  # replay the same draws
    b = sample_batch(model, 2, 300, rng)
    masks = rng.random(b["X"].shape) < 0.5
    for s in range(2):
        X = b["X"][s]
        for j, eps in enumerate([0.0, 0.6]):
            Y = np.where((b["u"][s] >= eps)[:, None], b["Z"][s], b["Zp"][s]) @ model.U2.T + b["Xi2"][s]
            fit = mmcl.fit_svd(X, Y, 2)
            assert out["MMCL"][s, 0, j] == pytest.approx(mmcl.sin_theta(fit.G1.T, model.U1), abs=1e-9)
        assert out["PCA"][s, 0] == pytest.approx(mmcl.sin_theta(mmcl.pca(X, 2).T, model.U1), abs=1e-9)
        V = np.where(masks[s], X, 0.0)
        S = mmcl.linear_cross_covariance(V, X - V)
        top = np.linalg.eigh(S + S.T)[1][:, -2:]
        assert out["unimodal CL"][s, 0] == pytest.approx(mmcl.sin_theta(top, model.U1), abs=1e-9)


def test_sweep_prefixes_equal_separate_samples_in_distribution():
    model = robustness_model("isotropic", False, d=10, r=2, rng=0)
    a = robustness_sweep(model, [200, 2000], [0.0], seeds=30, rng=1)["MMCL"][:, 1, 0]
    b = robustness_sweep(model, [2000], [0.0], seeds=30, rng=2)["MMCL"][:, 0, 0]
    assert abs(a.mean() - b.mean()) < 3 * np.hypot(a.std(), b.std()) / np.sqrt(30)


def test_sweep_mmcl_beats_baselines_under_structured_noise():
    model = robustness_model("structured", True, d=40, r=3, rng=0)
    out = robustness_sweep(model, [4000], [0.5], seeds=3, rng=1)
    assert out["MMCL"][:, 0, 0].max() < min(out["unimodal CL"].min(), out["PCA"].min())


def test_crossover_eps():
    eps = np.array([0.0, 0.5, 1.0])
    assert crossover_eps(eps, [0.2, 0.6, 2.0], 1.0) == pytest.approx(0.5 + 0.5 * 0.4 / 1.4)
    assert crossover_eps(eps, [1.2, 1.6, 2.0], 1.0) == 0.0
    assert np.isnan(crossover_eps(eps, [0.2, 0.3, 0.4], 1.0))


def test_clip_vs_linear_shapes_and_start():
    model = robustness_model("isotropic", False, d=6, r=2, rng=0)
    out = clip_vs_linear(model, 60, [0.0, 0.5], taus=[1.0, 10.0], steps=20, record_every=10, seeds=2, rng=0)
    assert out["CLIP"].shape == (2, 2, 2, 3) and out["linear"].shape == (2, 2)
    assert np.all(out["CLIP"] >= 0) and np.all(out["CLIP"] <= np.sqrt(2) + 1e-9)


def test_digits_sweep_shapes():
    out = digits_sweep([0.0, 1.0], r=4, seeds=1, rng=0, test_size=300)
    assert out["probe"]["PCA"].shape == (1, 2) and out["retrieval"].shape == (1, 2)
    assert out["chance"] == pytest.approx(1 / 300)
    assert out["probe"]["PCA"][0, 0] == out["probe"]["PCA"][0, 1]     # unimodal: unaffected by eps


# --- bad inputs ------------------------------------------------------------------

def test_bad_inputs():
    model = robustness_model(d=8, r=2)
    with pytest.raises(ValueError, match="eps"):
        model.sample(10, eps=1.5, rng=0)
    with pytest.raises(ValueError, match="eps"):
        mmcl.mismatch(np.zeros((5, 2)), -0.1, rng=0)
    with pytest.raises(ValueError, match="epss"):
        robustness_sweep(model, [100], [0.2, 1.2], rng=0)
    with pytest.raises(ValueError, match="ns"):
        robustness_sweep(model, [400, 100], [0.2], rng=0)
    with pytest.raises(ValueError, match="noise_sd"):
        mmcl.make_model(5, 5, 2, rng=0, noise_sd=-1.0)
    with pytest.raises(ValueError, match="heteroskedasticity"):
        mmcl.make_model(5, 5, 2, rng=0, heteroskedasticity=-1.0)
    with pytest.raises(ValueError, match="signal"):
        mmcl.make_model(5, 5, 2, rng=0, signal=[1.0, -2.0])
    with pytest.raises(ValueError, match="noise"):
        robustness_model("pink")
    with pytest.raises(TypeError, match="coherent"):
        robustness_model("isotropic", "yes")
    X = np.random.default_rng(0).standard_normal((20, 4))
    with pytest.raises(ValueError, match="r must be at most"):
        mmcl.unimodal_contrastive(X, 5, rng=0)
    with pytest.raises(ValueError, match="r must be at most"):
        mmcl.pca(X, 5)
    with pytest.raises(ValueError, match="augmentations"):
        mmcl.unimodal_contrastive(X, 2, rng=0, augmentations=0)
    with pytest.raises(TypeError, match="rng"):
        mmcl.unimodal_contrastive(X, 2, rng="seed")
    with pytest.raises(ValueError, match="X"):
        mmcl.pca(X[:1], 1)
    with pytest.raises(ValueError, match="Sigma"):
        mmcl.unimodal_contrastive_population(np.ones((3, 2)), 1)
    with pytest.raises(ValueError, match="Sigma"):
        mmcl.masked_view_covariance_population(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="Sigma"):
        mmcl.masked_view_covariance_population(-np.eye(2))
    with pytest.raises(ValueError, match="E1 and E2"):
        mmcl.retrieval_accuracy(np.ones((3, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="labels_train"):
        mmcl.probe_accuracy(np.ones((3, 2)), [0, 1], np.ones((2, 2)), [0, 1])
    with pytest.raises(ValueError, match="ridge"):
        mmcl.probe_accuracy(np.ones((3, 2)), [0, 1, 1], np.ones((2, 2)), [0, 1], ridge=-1.0)
    with pytest.raises(ValueError, match="mmcl_error"):
        crossover_eps([0.0, 1.0], [0.1, 0.2, 0.3], 1.0)


def test_masking_without_centring_subtracts_the_squared_mean():
    """E[S_u] = (Sigma - diag Sigma)/4 - diag(mu^2)/4 for data with mean mu (chapter exercise)."""
    rng = np.random.default_rng(0)
    mu = np.array([2.0, -1.0, 0.5])
    A = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 0.8]])
    Sigma = A.T @ A
    X = mu + rng.standard_normal((200_000, 3)) @ A
    S = mmcl.masked_view_covariance(X, rng=1, center=False)
    expected = mmcl.masked_view_covariance_population(Sigma) - np.diag(mu**2) / 4
    np.testing.assert_allclose(S, expected, atol=0.02)
    S_centred = mmcl.masked_view_covariance(X, rng=1)
    np.testing.assert_allclose(S_centred, mmcl.masked_view_covariance_population(Sigma), atol=0.02)
