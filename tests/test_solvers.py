"""Closed-form SVD, gradient descent and the spectral structure of critical points."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mmcl


def _data(seed, n=60, d1=6, d2=5):
    rng = np.random.default_rng(seed)
    model = mmcl.make_model(d1, d2, 2, rng=rng, signal=[4.0, 2.0], noise_sd=0.5)
    s = model.sample(n, rng=rng)
    return s.X, s.Y


@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.floats(0.05, 5.0))
def test_fit_svd_equals_independent_svd(seed, r, rho):
    X, Y = _data(seed)
    fit = mmcl.fit_svd(X, Y, r, rho=rho)
    # Independent route: centre, cross-covariance, full SVD, best rank-r approximation.
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    U, s, Vt = np.linalg.svd(Xc.T @ Yc / (len(X) - 1))
    best = (U[:, :r] * s[:r]) @ Vt[:r] / rho
    np.testing.assert_allclose(fit.G1.T @ fit.G2, best, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.G1 @ fit.G1.T, fit.G2 @ fit.G2.T, atol=1e-10)   # balanced
    assert fit.value == pytest.approx(mmcl.linear_loss(rho).value(fit.G1, fit.G2, X, Y), rel=1e-10)
    assert fit.value == pytest.approx(-np.sum(s[:r] ** 2) / (2 * rho), rel=1e-10)


@given(st.integers(0, 2**32 - 1), st.floats(1e-4, 1.0))
def test_fit_svd_is_never_beaten_by_perturbations(seed, size):
    X, Y = _data(seed)
    loss = mmcl.linear_loss(rho=0.7)
    fit = mmcl.fit_svd(X, Y, 3, rho=0.7)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        G1 = fit.G1 + size * rng.standard_normal(fit.G1.shape)
        G2 = fit.G2 + size * rng.standard_normal(fit.G2.shape)
        assert loss.value(G1, G2, X, Y) >= fit.value - 1e-12


def test_fit_svd_uses_no_n_by_n_matrix_and_matches_weights_option():
    X, Y = _data(3, n=500)
    fit = mmcl.fit_svd(X, Y, 2)
    unit = mmcl.fit_svd(X, Y, 2, weights=np.ones(len(X)))
    np.testing.assert_allclose(unit.S, fit.S, rtol=1e-12, atol=1e-14)
    # Integer weights are the same as repeating pairs (up to the unbiased normalisation).
    w = np.arange(len(X)) % 3
    rep = mmcl.fit_svd(np.repeat(X, w, axis=0), np.repeat(Y, w, axis=0), 2)
    weighted = mmcl.fit_svd(X, Y, 2, weights=w.astype(float))
    W = w.sum()
    np.testing.assert_allclose(weighted.S * (W - (w @ w) / W) / (W - 1), rep.S, rtol=1e-10)


def test_gradient_descent_on_linear_loss_reaches_the_closed_form():
    X, Y = _data(7)
    rho = 0.5
    fit = mmcl.fit_svd(X, Y, 2, rho=rho)
    gd = mmcl.fit_gd(X, Y, 2, mmcl.linear_loss(rho), steps=3000, lr=0.2, rng=np.random.default_rng(0),
                     init_scale=0.1, record_every=500)
    assert gd.history[-1] == pytest.approx(fit.value, rel=1e-8)
    assert mmcl.sin_theta(gd.G1.T, fit.G1.T) < 1e-6
    assert np.all(np.diff(gd.history) <= 1e-12)          # monotone for a small step
    assert [t for t, _, _ in gd.snapshots] == [0, 500, 1000, 1500, 2000, 2500, 3000]


def test_fit_gd_can_start_from_given_encoders_and_zero_steps():
    X, Y = _data(1)
    fit = mmcl.fit_svd(X, Y, 2)
    gd = mmcl.fit_gd(X, Y, 2, mmcl.linear_loss(1.0), steps=0, lr=0.1, rng=0, init=(fit.G1, fit.G2))
    np.testing.assert_array_equal(gd.G1, fit.G1)
    assert gd.history.shape == (1,)


def test_fit_gd_reports_divergence():
    X, Y = _data(2)
    with pytest.raises(FloatingPointError, match="lr"):
        mmcl.fit_gd(X * 100, Y * 100, 2, mmcl.linear_loss(1.0), steps=200, lr=10.0, rng=0, init_scale=1.0)


@pytest.mark.parametrize("tau,rho", [(1.0, 0.5), (2.0, 0.2)])
def test_converged_clip_is_an_svd_of_its_own_cross_covariance(tau, rho):
    X, Y = _data(11, n=80)
    X, Y = X - X.mean(0), Y - Y.mean(0)
    loss = mmcl.clip_loss(tau, rho)
    gd = mmcl.fit_gd(X, Y, 2, loss, steps=300, lr=0.1, rng=np.random.default_rng(1), init_scale=0.05)
    end = mmcl.polish(X, Y, loss, (gd.G1, gd.G2), gtol=1e-11)
    grad = loss.gradient(end.G1, end.G2, X, Y)
    assert max(np.abs(g).max() for g in grad) < 1e-8
    S_hat = loss.cross_covariance(end.G1, end.G2, X, Y)
    coef, selected, residual = mmcl.spectral_selection(end.G1, end.G2, S_hat, rho)
    assert residual < 1e-6
    np.testing.assert_allclose(np.sort(coef)[-2:], 1.0, atol=1e-6)   # selected triples enter with weight 1
    np.testing.assert_allclose(np.sort(coef)[:-2], 0.0, atol=1e-6)   # the others are absent
    assert selected.shape == (2,)


def test_small_initialisation_clip_starts_as_power_iteration_on_linear_S():
    X, Y = _data(5, n=100)
    n = len(X)
    G1 = 1e-8 * np.random.default_rng(0).standard_normal((2, X.shape[1]))
    G2 = 1e-8 * np.random.default_rng(1).standard_normal((2, Y.shape[1]))
    S0 = mmcl.clip_loss(1.0).cross_covariance(G1, G2, X, Y)
    np.testing.assert_allclose(S0, (n - 1) / n * mmcl.linear_cross_covariance(X, Y), rtol=1e-6, atol=1e-12)
