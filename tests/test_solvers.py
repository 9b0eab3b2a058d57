"""mmcl.solvers: closed-form SVD, gradient descent, polish, the structure of critical points."""

import tracemalloc

import numpy as np
import pytest
from benchmarks import counting
from conftest import model_sample as _data
from hypothesis import given
from hypothesis import strategies as st

import mmcl


@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.floats(0.05, 5.0))
def test_fit_svd_equals_independent_svd(seed, r, rho):
    X, Y = _data(seed)
    fit = mmcl.fit_svd(X, Y, r, rho=rho)
    # Independent route: centre, cross-covariance, full SVD, best rank-r approximation.
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    U, s, Vt = np.linalg.svd(Xc.T @ Yc / (len(X) - 1))
    best = (U[:, :r] * s[:r]) @ Vt[:r] / rho
    np.testing.assert_allclose(fit.G1.T @ fit.G2, best, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.G1 @ fit.G1.T, fit.G2 @ fit.G2.T, atol=1e-10)  # balanced
    assert fit.value == pytest.approx(mmcl.linear_loss(rho).value(fit.G1, fit.G2, X, Y), rel=1e-10)
    assert fit.value == pytest.approx(-np.sum(s[:r] ** 2) / (2 * rho), rel=1e-10)
    np.testing.assert_allclose(fit.singular_values, s, rtol=1e-10, atol=1e-14)


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


def test_fit_svd_from_cross_covariance_is_the_svd_step_of_fit_svd():
    X, Y = _data(4)
    fit = mmcl.fit_svd(X, Y, 2, rho=0.5)
    step = mmcl.fit_svd_from_cross_covariance(mmcl.linear_cross_covariance(X, Y), 2, rho=0.5)
    for a, b in ((fit.G1, step.G1), (fit.G2, step.G2), (fit.S, step.S)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert fit.value == step.value and fit.rho == step.rho == 0.5
    # Any S: G1^T G2 is the best rank-r approximation of S / rho, and the factors are balanced.
    S = np.random.default_rng(0).standard_normal((5, 4))
    own = mmcl.fit_svd_from_cross_covariance(S, 3, rho=2.0)
    U, s, Vt = np.linalg.svd(S, full_matrices=False)
    np.testing.assert_allclose(own.G1.T @ own.G2, (U[:, :3] * s[:3]) @ Vt[:3] / 2.0, atol=1e-12)
    np.testing.assert_allclose(own.G1 @ own.G1.T, own.G2 @ own.G2.T, atol=1e-12)
    assert own.value == pytest.approx(-np.sum(s[:3] ** 2) / 4.0)


def test_fit_svd_weights_option():
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


def test_fit_svd_weights_is_balanced_weighted_linear_loss():
    rng = np.random.default_rng(0)
    X, Y, w = rng.normal(size=(7, 4)), rng.normal(size=(7, 3)), rng.uniform(0.2, 2.0, 7)
    W, D = w.sum(), w.sum() ** 2 - np.sum(w**2)
    beta = np.outer(w, w) / D
    np.fill_diagonal(beta, w * (W - w) / D)
    S = mmcl.contrastive_cross_covariance(X, Y, beta)
    assert np.allclose(S, mmcl.fit_svd(X, Y, 2, weights=w).S)


def _peak_bytes(call):
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fit_svd_and_linear_loss_use_no_n_by_n_matrix():
    """At n = 8000 an n x n float64 matrix takes 512 MB; the linear routes stay far below it."""
    n, d = 8000, 5
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    G1, G2 = rng.standard_normal((2, d)), rng.standard_normal((2, d))
    limit = 0.1 * n * n * 8
    calls = {
        "fit_svd": lambda: mmcl.fit_svd(X, Y, 2),
        "value_and_gradient": lambda: mmcl.linear_loss(0.5).value_and_gradient(G1, G2, X, Y),
        "linear_cross_covariance": lambda: mmcl.linear_cross_covariance(X, Y),
    }
    peaks = {name: _peak_bytes(call) for name, call in calls.items()}
    assert all(peak < limit for peak in peaks.values()), peaks
    # The measurement sees NumPy's allocations: an n/4 x n/4 matrix (32 MB) shows up.
    assert _peak_bytes(lambda: np.ones((n // 4, n // 4))) >= (n // 4) ** 2 * 8


def test_gradient_descent_on_linear_loss_reaches_the_closed_form():
    X, Y = _data(7)
    rho = 0.5
    fit = mmcl.fit_svd(X, Y, 2, rho=rho)
    gd = mmcl.fit_gd(
        X,
        Y,
        2,
        mmcl.linear_loss(rho),
        steps=3000,
        lr=0.2,
        rng=np.random.default_rng(0),
        init_scale=0.1,
        record_every=500,
    )
    assert gd.history[-1] == pytest.approx(fit.value, rel=1e-8)
    assert mmcl.sin_theta(gd.G1.T, fit.G1.T) < 1e-6
    assert np.all(np.diff(gd.history) <= 1e-12)  # monotone for a small step
    assert [t for t, _, _ in gd.snapshots] == [0, 500, 1000, 1500, 2000, 2500, 3000]


def test_fit_gd_step_is_a_gradient_step(rng):
    X, Y = _data(8)
    loss = mmcl.clip_loss(0.7, 0.3)
    G1, G2 = 0.3 * rng.standard_normal((2, 6)), 0.3 * rng.standard_normal((2, 5))
    gd = mmcl.fit_gd(X, Y, 2, loss, steps=1, lr=0.05, rng=0, init=(G1, G2))
    dG1, dG2 = loss.gradient(G1, G2, X, Y)
    np.testing.assert_allclose(gd.G1, G1 - 0.05 * dG1, rtol=1e-13)
    np.testing.assert_allclose(gd.G2, G2 - 0.05 * dG2, rtol=1e-13)
    assert gd.history[0] == loss.value(G1, G2, X, Y)
    assert gd.history[1] == pytest.approx(loss.value(gd.G1, gd.G2, X, Y), rel=1e-13)


def test_fit_gd_can_start_from_given_encoders_and_zero_steps():
    X, Y = _data(1)
    fit = mmcl.fit_svd(X, Y, 2)
    gd = mmcl.fit_gd(X, Y, 2, mmcl.linear_loss(1.0), steps=0, lr=0.1, rng=0, init=(fit.G1, fit.G2))
    np.testing.assert_array_equal(gd.G1, fit.G1)
    assert gd.history.shape == (1,)


def test_fit_gd_random_start_has_the_requested_scale():
    X, Y = _data(1, d1=40, d2=30)
    gd = mmcl.fit_gd(X, Y, 2, mmcl.linear_loss(1.0), steps=0, lr=0.1, rng=3, init_scale=0.01)
    assert np.std(np.concatenate([gd.G1.ravel(), gd.G2.ravel()])) == pytest.approx(0.01, rel=0.15)
    again = mmcl.fit_gd(X, Y, 2, mmcl.linear_loss(1.0), steps=0, lr=0.1, rng=3, init_scale=0.01)
    np.testing.assert_array_equal(gd.G1, again.G1)  # an integer seed fixes the start


def test_fit_gd_reports_divergence():
    X, Y = _data(2)
    with pytest.raises(FloatingPointError, match="lr"):
        mmcl.fit_gd(
            X * 100, Y * 100, 2, mmcl.linear_loss(1.0), steps=200, lr=10.0, rng=0, init_scale=1.0
        )


def test_polish_returns_to_the_minimum():
    X, Y = _data(9)
    best = mmcl.fit_svd(X, Y, 2, rho=1.0)
    rng = np.random.default_rng(0)
    start = (
        best.G1 + 0.05 * rng.standard_normal(best.G1.shape),
        best.G2 + 0.05 * rng.standard_normal(best.G2.shape),
    )
    fit = mmcl.polish(X, Y, mmcl.linear_loss(1.0), init=start)
    assert fit.history[-1] == pytest.approx(best.value, abs=1e-10)
    np.testing.assert_allclose(fit.G1.T @ fit.G2, best.G1.T @ best.G2, atol=1e-6)


@pytest.mark.parametrize("tau,rho", [(1.0, 0.5), (2.0, 0.2)])
def test_converged_clip_is_an_svd_of_its_own_cross_covariance(tau, rho):
    X, Y = _data(11, n=80)
    X, Y = X - X.mean(0), Y - Y.mean(0)
    loss = mmcl.clip_loss(tau, rho)
    gd = mmcl.fit_gd(
        X, Y, 2, loss, steps=300, lr=0.1, rng=np.random.default_rng(1), init_scale=0.05
    )
    end = mmcl.polish(X, Y, loss, init=(gd.G1, gd.G2), gtol=1e-11)
    grad = loss.gradient(end.G1, end.G2, X, Y)
    assert max(np.abs(g).max() for g in grad) < 1e-8
    S_hat = loss.cross_covariance(end.G1, end.G2, X, Y)
    coef, selected, residual = mmcl.spectral_selection(end.G1, end.G2, S_hat, rho=rho)
    assert residual < 1e-6
    np.testing.assert_allclose(
        np.sort(coef)[-2:], 1.0, atol=1e-6
    )  # selected triples enter with weight 1
    np.testing.assert_allclose(np.sort(coef)[:-2], 0.0, atol=1e-6)  # the others are absent
    assert selected.shape == (2,)


def test_spectral_selection_reads_a_chosen_set_of_triples():
    S = np.diag([5.0, 3.0, 2.0, 1.0])
    rho = 2.0
    # rho G1^T G2 made of triples 0 and 2 (not the top two).
    G1 = np.array([[np.sqrt(5.0 / rho), 0, 0, 0], [0, 0, np.sqrt(2.0 / rho), 0]])
    coef, selected, residual = mmcl.spectral_selection(G1, G1, S, rho=rho)
    np.testing.assert_allclose(coef, [1.0, 0.0, 1.0, 0.0], atol=1e-12)
    assert selected.tolist() == [0, 2] and residual < 1e-12


def test_fit_svd_on_float32_data_accumulates_in_float64_without_a_copy():
    n, d = 100_000, 40
    rng = np.random.default_rng(12)
    X32 = rng.standard_normal((n, d), dtype=np.float32) + 3.0  # a mean: centring matters
    Y32 = rng.standard_normal((n, d), dtype=np.float32) + X32[:, ::-1] / 2
    X, Y = X32.astype(np.float64), Y32.astype(np.float64)
    for weights in (None, rng.uniform(0.5, 2.0, n)):
        fit32 = mmcl.fit_svd(X32, Y32, 2, weights=weights)
        fit64 = mmcl.fit_svd(X, Y, 2, weights=weights)
        np.testing.assert_allclose(fit32.S, fit64.S, rtol=1e-11, atol=1e-13)
        assert fit32.S.dtype == np.float64
        peak = _peak_bytes(lambda weights=weights: mmcl.fit_svd(X32, Y32, 2, weights=weights))
        assert peak < X32.nbytes / 2, peak  # a float64 copy of X alone would be 4 x this
    ints = np.arange(12).reshape(6, 2)
    np.testing.assert_allclose(
        mmcl.linear_cross_covariance(ints, ints), np.cov(ints.T.astype(float)), rtol=1e-12
    )


@pytest.mark.parametrize("maxiter", [5000, 3])
def test_polish_wastes_no_evaluations(maxiter):
    """L-BFGS pays about one evaluation per iteration (the history is not recomputed), and
    the refinement uses Hessian products, not a finite-difference Jacobian (which cost
    ~r (d1 + d2) evaluations per step: 512 evaluations here before, for maxiter = 3)."""
    from mmcl.experiments.loss_to_svd import chapter_sample

    X, Y, _ = chapter_sample(200, rng=0)
    loss = mmcl.clip_loss(tau=1.0, rho=0.2)
    start = mmcl.fit_gd(X, Y, 3, loss, steps=150, lr=0.1, rng=2, init_scale=1e-2)
    counted, counts = counting(loss)
    fit = mmcl.polish(X, Y, counted, init=(start.G1, start.G2), maxiter=maxiter)
    grad = loss.gradient(fit.G1, fit.G2, X, Y)
    assert max(np.abs(g).max() for g in grad) <= 1e-10
    lbfgs_iterations = min(maxiter, len(fit.history))
    assert counts["value_and_gradient"] <= 1.5 * lbfgs_iterations + 3, counts
    assert counts["second_order"] <= 4 and counts["hessian_products"] <= 100, counts
