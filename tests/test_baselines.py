"""mmcl.baselines: unimodal contrastive learning with random masking, and PCA."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import mmcl
from mmcl.baselines import top_eigenvectors


def test_top_eigenvectors_on_a_stack():
    M = np.stack([np.diag([1.0, 3.0, 2.0]), np.diag([5.0, 0.0, 1.0])])
    V = np.abs(top_eigenvectors(M, 2))
    assert V.shape == (2, 2, 3)
    np.testing.assert_allclose(V[0], [[0, 1, 0], [0, 0, 1]], atol=1e-12)
    np.testing.assert_allclose(V[1], [[1, 0, 0], [0, 0, 1]], atol=1e-12)


def test_masked_view_covariance_conditional_expectation():
    """Averaged over masks, S = (Sh - diag Sh)/4 + diag(Sh)/(4n) for centred X (Sh: covariance)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 3)) @ np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    Xc = X - X.mean(axis=0)
    n = X.shape[0]
    Sh = Xc.T @ Xc / (n - 1)
    expected = 0.25 * (Sh - np.diag(np.diag(Sh))) + np.diag(np.diag(Sh)) / (4 * n)
    S = mmcl.masked_view_covariance(X, rng=1, augmentations=40_000)
    np.testing.assert_allclose(S, expected, atol=0.02 * np.abs(Sh).max())


def test_masked_view_covariance_centres_first():
    """center=True is the uncentred statistic of the centred data (same masks, same seed)."""
    X = np.random.default_rng(0).standard_normal((30, 4)) + 5.0
    S = mmcl.masked_view_covariance(X, rng=1, augmentations=3)
    np.testing.assert_allclose(S, S.T)
    np.testing.assert_allclose(
        S,
        mmcl.masked_view_covariance(X - X.mean(0), rng=1, augmentations=3, center=False),
        atol=1e-12,
    )


def test_unimodal_population_limit():
    model = mmcl.make_model(15, 15, 2, rng=0, signal=4.0, heteroskedasticity=(2.0, 0.0), support=4)
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
    U = np.ones((6, 1)) / np.sqrt(6)  # incoherent signal direction
    Sigma_het = 2.0 * U @ U.T + np.diag([0.1, 5.0, 0.2, 0.3, 0.1, 0.2])
    assert mmcl.sin_theta(mmcl.unimodal_contrastive_population(Sigma_het, 1).T, U) < 1e-10
    assert (
        mmcl.sin_theta(np.linalg.eigh(Sigma_het)[1][:, -1:], U) > 0.5
    )  # PCA follows the loud coordinate
    b = np.array([[1.0], [-1.0], [1.0], [-1.0], [0.0], [0.0]]) * 2
    Sigma_str = 2.0 * U @ U.T + b @ b.T + np.eye(6)
    assert mmcl.sin_theta(mmcl.unimodal_contrastive_population(Sigma_str, 1).T, U) > 0.9


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


def test_pca_top_eigenvectors():
    X = np.random.default_rng(0).standard_normal((3000, 4)) * np.array([3.0, 2.0, 1.0, 0.5])
    P = mmcl.pca(X, 2)
    np.testing.assert_allclose(P @ P.T, np.eye(2), atol=1e-12)
    assert mmcl.sin_theta(P.T, np.eye(4)[:, :2]) < 0.05


def test_pca_is_translation_invariant():
    X = np.random.default_rng(1).standard_normal((200, 5)) * np.array([3.0, 2.0, 1.0, 1.0, 0.5])
    assert mmcl.sin_theta(mmcl.pca(X, 2).T, mmcl.pca(X + 7.0, 2).T) < 1e-8


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
    model = mmcl.make_model(10, 10, 2, rng=0, signal=4.0)
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


def test_more_augmentations_bring_the_masked_matrix_closer_to_its_mask_average():
    X = np.random.default_rng(0).standard_normal((40, 5)) @ np.random.default_rng(
        1
    ).standard_normal((5, 5))
    Xc = X - X.mean(axis=0)
    Sh = Xc.T @ Xc / (len(X) - 1)
    target = 0.25 * (Sh - np.diag(np.diag(Sh))) + np.diag(np.diag(Sh)) / (4 * len(X))
    err = [
        np.linalg.norm(mmcl.masked_view_covariance(X, rng=s, augmentations=a) - target)
        for a in (1, 400)
        for s in range(5)
    ]
    assert np.mean(err[5:]) < 0.25 * np.mean(err[:5])
