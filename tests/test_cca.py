"""mmcl.cca: closed-form canonical correlation analysis."""

import numpy as np
import pytest
from sklearn.cross_decomposition import CCA

import mmcl


@pytest.fixture(scope="module")
def unequal_noise():
    model = mmcl.make_model(12, 10, 3, rng=0, heteroskedasticity=(2.0, 0.0), nuisance_rank=(0, 2))
    return model, model.sample(4000, rng=1)


def test_fit_cca_equals_sklearn_and_differs_from_pls(unequal_noise):
    _, s = unequal_noise
    fit = mmcl.fit_cca(s.X, s.Y, 3)
    reference = CCA(n_components=3, scale=False, max_iter=5000, tol=1e-14).fit(s.X, s.Y)
    assert mmcl.sin_theta(fit.G1.T, reference.x_rotations_) < 1e-6
    assert mmcl.sin_theta(fit.G2.T, reference.y_rotations_) < 1e-6
    # Unequal noise: the whitened (CCA) and unwhitened (PLS-SVD) subspaces are far apart.
    assert mmcl.sin_theta(fit.G1.T, mmcl.fit_svd(s.X, s.Y, 3).G1.T) > 0.5


def test_fit_cca_minimises_the_population_spectral_objective(unequal_noise):
    _, s = unequal_noise
    fit = mmcl.fit_cca(s.X, s.Y, 2)
    Cxx, Cyy = np.cov(s.X.T), np.cov(s.Y.T)
    Cxy = mmcl.linear_cross_covariance(s.X, s.Y)

    def objective(W):
        return -2 * np.trace(W.T @ Cxy) + np.trace(W.T @ Cxx @ W @ Cyy)

    best = objective(fit.G1.T @ fit.G2)
    rng = np.random.default_rng(2)
    for _ in range(20):
        A = fit.G1 + 0.05 * rng.standard_normal(fit.G1.shape)
        B = fit.G2 + 0.05 * rng.standard_normal(fit.G2.shape)
        assert objective(A.T @ B) > best
    # The canonical correlations are in [0, 1] and decreasing; the balanced encoders give
    # unit-free embeddings: G1 Cxx G1^T = diag(correlations_r).
    assert np.all(np.diff(fit.correlations) <= 1e-12) and 0 <= fit.correlations.min()
    assert fit.correlations.max() <= 1 + 1e-12
    np.testing.assert_allclose(fit.G1 @ Cxx @ fit.G1.T, np.diag(fit.correlations[:2]), atol=1e-10)


def test_fit_cca_is_invariant_to_invertible_maps_of_each_modality(unequal_noise):
    _, s = unequal_noise
    A = np.random.default_rng(3).standard_normal((12, 12)) + 4 * np.eye(12)
    fit, mapped = mmcl.fit_cca(s.X, s.Y, 3), mmcl.fit_cca(s.X @ A.T, s.Y, 3)
    np.testing.assert_allclose(mapped.correlations, fit.correlations, atol=1e-10)
    # The canonical variates (the embeddings) are the same up to the sign of each component.
    E, F = (s.X @ A.T) @ mapped.G1.T, s.X @ fit.G1.T
    np.testing.assert_allclose(np.abs(E), np.abs(F), rtol=1e-6, atol=1e-8)


def test_weights_and_ridge():
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((50, 4)), rng.standard_normal((50, 3))
    w = rng.uniform(0.5, 2.0, 50)
    w2 = np.repeat(np.arange(1, 3), 25).astype(float)
    fit = mmcl.fit_cca(X, Y, 2, weights=np.ones(50))
    np.testing.assert_allclose(fit.G1, mmcl.fit_cca(X, Y, 2).G1, atol=1e-12)
    # Integer weights equal repeating the rows (the means and the cross-product match).
    Xr, Yr = np.repeat(X, w2.astype(int), axis=0), np.repeat(Y, w2.astype(int), axis=0)
    a = mmcl.fit_cca(X, Y, 2, weights=w2)
    b = mmcl.fit_cca(Xr, Yr, 2)
    assert mmcl.sin_theta(a.G1.T, b.G1.T) < 1e-8
    assert mmcl.fit_cca(X, Y, 2, weights=w).G1.shape == (2, 4)
    # More dimensions than samples: refused without a ridge, solved with one.
    Xw, Yw = rng.standard_normal((5, 8)), rng.standard_normal((5, 6))
    with pytest.raises(ValueError, match="ridge"):
        mmcl.fit_cca(Xw, Yw, 2)
    assert np.isfinite(mmcl.fit_cca(Xw, Yw, 2, ridge=0.1).G1).all()


def test_large_ridge_tends_to_pls_svd(unequal_noise):
    _, s = unequal_noise
    fit = mmcl.fit_cca(s.X, s.Y, 3, ridge=1e6)
    assert mmcl.sin_theta(fit.G1.T, mmcl.fit_svd(s.X, s.Y, 3).G1.T) < 1e-3


def test_cholesky_whitening_gives_the_same_encoders(unequal_noise):
    _, s = unequal_noise
    w = np.random.default_rng(3).uniform(0.2, 1.0, s.X.shape[0])
    a = mmcl.fit_cca(s.X, s.Y, 3, ridge=0.01, weights=w)
    b = mmcl.fit_cca(s.X, s.Y, 3, ridge=0.01, weights=w, whitening="cholesky")
    np.testing.assert_allclose(b.correlations, a.correlations, rtol=1e-12)
    signs = np.sign(np.sum(a.G1 * b.G1, axis=1))[:, None]  # each pair of rows up to one sign
    np.testing.assert_allclose(signs * b.G1, a.G1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(signs * b.G2, a.G2, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="ridge"):
        mmcl.fit_cca(s.X[:5], s.Y[:5], 1, whitening="cholesky")
