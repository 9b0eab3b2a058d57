"""mmcl.losses: the LogitLoss seam (base) and the (phi, psi) family: CLIP, the linear loss."""

import numpy as np
import pytest
from conftest import random_problem
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import log_softmax

import mmcl

shapes = st.tuples(
    st.integers(2, 9),
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
)


def _draw(shape):
    n, d1, d2, r, seed = shape
    r = min(r, d1, d2)
    return random_problem(np.random.default_rng(seed), n, d1, d2, r)


def _clip_reference(G1, G2, X, Y, tau):
    """Symmetric CLIP cross-entropy, written independently of mmcl."""
    K = (X @ G1.T) @ (Y @ G2.T).T / tau
    rows = -np.diag(log_softmax(K, axis=1)).mean()
    cols = -np.diag(log_softmax(K, axis=0)).mean()
    return 0.5 * (rows + cols)


def _generic(kind, tau=1.0, rho=0.0, n=None):
    if kind == "clip":
        return mmcl.ContrastiveLoss(
            phi=lambda u: tau * np.log1p(u),
            dphi=lambda u: tau / (1 + u),
            psi=lambda t: np.exp(t / tau),
            dpsi=lambda t: np.exp(t / tau) / tau,
            rho=rho,
        )
    return mmcl.ContrastiveLoss(
        phi=lambda u: u / (n - 1),
        dphi=lambda u: np.ones_like(u) / (n - 1),
        psi=lambda t: t,
        dpsi=np.ones_like,
        rho=rho,
    )


class SquaredToIdentity(mmcl.LogitLoss):
    """A loss of the reader's own: mean squared distance of the logits to the identity."""

    def logit_gradient(self, K):
        D = K - np.eye(K.shape[0])
        return float(np.sum(D**2)) / K.size, 2 * D / K.size


# --- the family: CLIP and the linear loss ---------------------------------------


@given(shapes, st.floats(0.2, 5.0), st.floats(0.0, 2.0))
def test_clip_is_tau_times_symmetric_cross_entropy(shape, tau, rho):
    G1, G2, X, Y = _draw(shape)
    value = mmcl.clip_loss(tau, rho).value(G1, G2, X, Y)
    reg = 0.5 * rho * np.linalg.norm(G1.T @ G2) ** 2
    assert value == pytest.approx(
        tau * _clip_reference(G1, G2, X, Y, tau) + reg, rel=1e-12, abs=1e-12
    )


@given(shapes, st.floats(0.2, 5.0), st.floats(0.0, 2.0))
def test_specialised_losses_equal_the_generic_family(shape, tau, rho):
    G1, G2, X, Y = _draw(shape)
    n = X.shape[0]
    for fast, slow in (
        (mmcl.clip_loss(tau, rho), _generic("clip", tau, rho)),
        (mmcl.linear_loss(rho), _generic("linear", rho=rho, n=n)),
    ):
        assert fast.value(G1, G2, X, Y) == pytest.approx(
            slow.value(G1, G2, X, Y), rel=1e-10, abs=1e-12
        )
        np.testing.assert_allclose(
            fast.weights(G1, G2, X, Y), slow.weights(G1, G2, X, Y), rtol=1e-10, atol=1e-14
        )
        for a, b in zip(fast.gradient(G1, G2, X, Y), slow.gradient(G1, G2, X, Y)):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@given(shapes, st.sampled_from(["clip", "linear"]), st.floats(0.0, 1.0))
def test_gradient_matches_finite_differences(shape, kind, rho):
    G1, G2, X, Y = _draw(shape)
    loss = mmcl.clip_loss(0.7, rho) if kind == "clip" else mmcl.linear_loss(rho)
    analytic = loss.gradient(G1, G2, X, Y)
    numeric = mmcl.finite_difference_gradient(loss, G1, G2, X, Y, h=1e-5)
    for a, b in zip(analytic, numeric):
        assert np.linalg.norm(a - b) <= 1e-6 * max(np.linalg.norm(a), 1e-3)


@given(shapes, st.sampled_from(["clip", "linear", "generic", "own"]), st.floats(0.0, 1.0))
def test_gradient_identity_through_S_beta(shape, kind, rho):
    G1, G2, X, Y = _draw(shape)
    loss = {
        "clip": mmcl.clip_loss(1.3, rho),
        "linear": mmcl.linear_loss(rho),
        "generic": mmcl.ContrastiveLoss(
            phi=np.log1p,
            dphi=lambda u: 1 / (1 + u),
            psi=lambda t: np.logaddexp(0, t),
            dpsi=lambda t: 1 / (1 + np.exp(-t)),
            rho=rho,
        ),
        "own": SquaredToIdentity(rho=rho),
    }[kind]
    S = mmcl.contrastive_cross_covariance(X, Y, loss.weights(G1, G2, X, Y))
    np.testing.assert_allclose(S, loss.cross_covariance(G1, G2, X, Y), rtol=1e-10, atol=1e-12)
    dG1, dG2 = loss.gradient(G1, G2, X, Y)
    np.testing.assert_allclose(dG1, -G2 @ S.T + rho * G2 @ G2.T @ G1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dG2, -G1 @ S + rho * G1 @ G1.T @ G2, rtol=1e-9, atol=1e-12)


@given(shapes, st.sampled_from(["clip", "linear", "own"]), st.floats(0.0, 1.0))
def test_losses_are_invariant_under_invertible_reparametrisation(shape, kind, rho):
    """(G1, G2) -> (A G1, A^{-T} G2) keeps K and G1^T G2, so every loss of K and R."""
    G1, G2, X, Y = _draw(shape)
    r = G1.shape[0]
    A = np.random.default_rng(shape[-1]).standard_normal((r, r)) + 3 * np.eye(r)
    loss = {
        "clip": mmcl.clip_loss(0.8, rho),
        "linear": mmcl.linear_loss(rho),
        "own": SquaredToIdentity(rho=rho),
    }[kind]
    moved = loss.value(A @ G1, np.linalg.inv(A).T @ G2, X, Y)
    assert moved == pytest.approx(loss.value(G1, G2, X, Y), rel=1e-9, abs=1e-10)


def test_linear_weights_and_cross_covariance(rng):
    G1, G2, X, Y = random_problem(rng, n=15)
    n = X.shape[0]
    beta = mmcl.linear_loss().weights(G1, G2, X, Y)
    assert np.allclose(np.diag(beta), 1 / n)
    assert np.allclose(beta[~np.eye(n, dtype=bool)], 1 / (n * (n - 1)))
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    S = mmcl.linear_cross_covariance(X, Y)
    np.testing.assert_allclose(S, Xc.T @ Yc / (n - 1), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        mmcl.contrastive_cross_covariance(X, Y, beta), S, rtol=1e-12, atol=1e-14
    )
    # The linear loss's S does not depend on the encoders.
    np.testing.assert_allclose(
        mmcl.linear_loss().cross_covariance(3 * G1, -G2, X, Y), S, rtol=1e-12
    )


def test_linear_embedding_gradient_equals_the_n_by_n_route(rng):
    """LinearLoss overrides embedding_gradient; the base class's n x n route must agree."""
    G1, G2, X, Y = random_problem(rng, n=11)
    E1, E2 = X @ G1.T, Y @ G2.T
    loss = mmcl.linear_loss()
    fast = loss.embedding_gradient(E1, E2)
    slow = mmcl.LogitLoss.embedding_gradient(loss, E1, E2)
    assert fast[0] == pytest.approx(slow[0], rel=1e-12, abs=1e-14)
    for a, b in zip(fast[1:], slow[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)


def test_clip_weights_are_softmax_probabilities(rng):
    G1, G2, X, Y = random_problem(rng, n=10, scale=1.0)
    n, tau = 10, 0.5
    beta = mmcl.clip_loss(tau).weights(G1, G2, X, Y)
    K = (X @ G1.T) @ (Y @ G2.T).T / tau
    P, Q = np.exp(log_softmax(K, axis=1)), np.exp(log_softmax(K, axis=0))
    off = ~np.eye(n, dtype=bool)
    np.testing.assert_allclose(beta[off], ((P + Q) / (2 * n))[off], rtol=1e-12)
    np.testing.assert_allclose(np.diag(beta), (2 - np.diag(P) - np.diag(Q)) / (2 * n), rtol=1e-12)
    assert (beta[off] > 0).all()


def test_clip_weights_tend_to_scaled_linear_weights_as_tau_grows(rng):
    G1, G2, X, Y = random_problem(rng, n=20)
    n = 20
    lin = mmcl.linear_loss().weights(G1, G2, X, Y)
    err = [
        np.abs(mmcl.clip_loss(tau).weights(G1, G2, X, Y) - (n - 1) / n * lin).max()
        for tau in (1e1, 1e3, 1e5)
    ]
    # The gap shrinks like 1/tau.
    assert err[0] > 50 * err[1] > 2500 * err[2] and err[2] < 1e-6


def test_small_logits_give_clip_the_scaled_linear_cross_covariance():
    """Near K = 0 CLIP's S(beta) is (n-1)/n times the linear loss's: the power phase starts."""
    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((100, 6)), rng.standard_normal((100, 5))
    n = len(X)
    G1 = 1e-8 * np.random.default_rng(0).standard_normal((2, X.shape[1]))
    G2 = 1e-8 * np.random.default_rng(1).standard_normal((2, Y.shape[1]))
    S0 = mmcl.clip_loss(1.0).cross_covariance(G1, G2, X, Y)
    np.testing.assert_allclose(
        S0, (n - 1) / n * mmcl.linear_cross_covariance(X, Y), rtol=1e-6, atol=1e-12
    )


def test_balanced_weights_are_translation_invariant_clip_weights_are_not(rng):
    G1, G2, X, Y = random_problem(rng, n=14, scale=1.0)
    shift_x, shift_y = rng.standard_normal(X.shape[1]), rng.standard_normal(Y.shape[1])
    beta_lin = mmcl.linear_loss().weights(G1, G2, X, Y)
    S = mmcl.contrastive_cross_covariance(X, Y, beta_lin)
    np.testing.assert_allclose(
        mmcl.contrastive_cross_covariance(X + shift_x, Y, beta_lin), S, atol=1e-12
    )
    np.testing.assert_allclose(
        mmcl.contrastive_cross_covariance(X, Y + shift_y, beta_lin), S, atol=1e-12
    )
    # Same check with CLIP's (unbalanced) weights, frozen: S moves.
    beta_clip = mmcl.clip_loss(0.5).weights(G1, G2, X, Y)
    assert not np.allclose(beta_clip.sum(0) - 2 * np.diag(beta_clip), 0)
    S_clip = mmcl.contrastive_cross_covariance(X, Y, beta_clip)
    moved = mmcl.contrastive_cross_covariance(X + shift_x, Y, beta_clip)
    assert np.linalg.norm(moved - S_clip) > 1e-3 * np.linalg.norm(S_clip)
    # And the CLIP loss itself is not translation invariant.
    clip = mmcl.clip_loss(0.5)
    assert abs(clip.value(G1, G2, X + 3 * shift_x, Y) - clip.value(G1, G2, X, Y)) > 1e-3


def test_clip_finite_for_tiny_temperature_and_huge_logits(rng):
    n, d = 32, 6
    X = rng.standard_normal((n, d))
    Y = X + 0.1 * rng.standard_normal((n, d))
    G = np.eye(d)[:3]
    G *= np.sqrt(1e4 / np.abs((X @ G.T) @ (Y @ G.T).T).max())  # largest |logit| = 1e4
    loss = mmcl.clip_loss(tau=1e-3)  # so K / tau reaches 1e7
    value, (dG1, dG2) = loss.value_and_gradient(G, G, X, Y)
    assert np.isfinite(value) and np.isfinite(dG1).all() and np.isfinite(dG2).all()
    assert np.isfinite(loss.weights(G, G, X, Y)).all()
    assert value == pytest.approx(1e-3 * _clip_reference(G, G, X, Y, 1e-3), rel=1e-9)
    # A naive exp-then-log evaluation overflows here.
    with np.errstate(over="ignore"):
        naive = np.log(np.exp((X @ G.T) @ (Y @ G.T).T / 1e-3).sum(axis=1))
    assert not np.isfinite(naive).all()


def test_loss_reprs_and_generic_callable_check():
    assert "tau=0.5" in repr(mmcl.clip_loss(0.5))
    assert "rho=0.2" in repr(mmcl.linear_loss(0.2))
    assert "rho=0.3" in repr(SquaredToIdentity(rho=0.3))
    with pytest.raises(TypeError, match="phi"):
        mmcl.ContrastiveLoss(phi=1.0, dphi=np.ones_like, psi=np.exp, dpsi=np.exp)


# --- the seam: a loss of one's own ------------------------------------------------


def test_own_loss_gets_value_gradient_weights_from_logit_gradient(rng):
    G1, G2, X, Y = random_problem(rng, n=9)
    loss = SquaredToIdentity(rho=0.4)
    K = (X @ G1.T) @ (Y @ G2.T).T
    expected = np.mean((K - np.eye(9)) ** 2) + 0.2 * np.linalg.norm(G1.T @ G2) ** 2
    assert loss.value(G1, G2, X, Y) == pytest.approx(expected, rel=1e-12)
    numeric = mmcl.finite_difference_gradient(loss, G1, G2, X, Y)
    for a, b in zip(loss.gradient(G1, G2, X, Y), numeric):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)
    C = 2 * (K - np.eye(9)) / K.size
    beta = loss.weights(G1, G2, X, Y)
    np.testing.assert_allclose(np.diag(beta), -np.diag(C), rtol=1e-12)
    off = ~np.eye(9, dtype=bool)
    np.testing.assert_allclose(beta[off], C[off], rtol=1e-12)
    # fit_gd accepts any LogitLoss.
    fit = mmcl.fit_gd(X, Y, 2, loss, steps=20, lr=0.05, rng=0, init=(G1, G2))
    assert fit.history[-1] < fit.history[0]


def test_base_class_asks_for_logit_gradient(rng):
    G1, G2, X, Y = random_problem(rng)
    with pytest.raises(NotImplementedError, match="logit_gradient"):
        mmcl.LogitLoss().value(G1, G2, X, Y)


def test_finite_difference_hessian_at_the_svd_minimum():
    """r^2 zero eigenvalues (the GL(r) symmetry), the others positive; H v is the directional
    change of the gradient."""
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((40, 4)), rng.standard_normal((40, 3))
    X[:, 0] *= 3.0
    rho, r = 0.7, 2
    fit = mmcl.fit_svd(X, Y, r, rho=rho)
    loss = mmcl.linear_loss(rho)
    H = mmcl.finite_difference_hessian(loss, fit.G1, fit.G2, X, Y)
    assert H.shape == (r * 7, r * 7)
    np.testing.assert_allclose(H, H.T, atol=0)
    eig = np.linalg.eigvalsh(H)
    assert np.all(np.abs(eig[: r * r]) < 1e-6) and eig[r * r] > 1e-3
    v = rng.standard_normal(r * 7)
    t = 1e-6

    def grad(theta):
        g = loss.gradient(theta[: r * 4].reshape(r, 4), theta[r * 4 :].reshape(r, 3), X, Y)
        return np.concatenate([g[0].ravel(), g[1].ravel()])

    theta = np.concatenate([fit.G1.ravel(), fit.G2.ravel()])
    np.testing.assert_allclose(
        H @ v, (grad(theta + t * v) - grad(theta - t * v)) / (2 * t), atol=1e-6
    )


# --- CLIP with one exponential ----------------------------------------------------


def _clip_two_exponentials(K, tau):
    """CLIP's value and dL/dK from both softmaxes, each with its own shift (the old route)."""
    n = K.shape[0]
    P, Q = np.exp(log_softmax(K / tau, axis=1)), np.exp(log_softmax(K / tau, axis=0))
    value = -tau * (np.trace(log_softmax(K / tau, axis=1)) + np.trace(log_softmax(K / tau, axis=0)))
    C = (P + Q) / (2 * n)
    C[np.diag_indices(n)] -= 1.0 / n
    return value / (2 * n), C


def _separate_columns(loss, E1, E2):
    from mmcl.losses._softmax import softmax_parts

    return int(softmax_parts(E1 @ E2.T / loss.tau).separate.sum())


@pytest.mark.parametrize(
    "tau, largest_logit, separate",
    [
        (1.0, 3.0, False),
        (0.5, 1e4, True),
        (1e-3, 1e4, True),
        (1e-3, 1e-2, False),
        (100.0, 5.0, False),
    ],
)
def test_fused_clip_equals_the_two_exponential_formulas(tau, largest_logit, separate):
    """Value, gradient, weights and S(beta) to 1e-12 relative, with and without the columns
    that need their own exponential (tiny tau, huge logits)."""
    rng = np.random.default_rng(7)
    n, d = 40, 5
    X, Y = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    G1, G2 = rng.standard_normal((3, d)), rng.standard_normal((3, d))
    K = (X @ G1.T) @ (Y @ G2.T).T
    scale = np.sqrt(largest_logit / np.abs(K).max())
    G1, G2, K = scale * G1, scale * G2, K * scale**2
    loss = mmcl.clip_loss(tau=tau, rho=0.3)
    assert (_separate_columns(loss, X @ G1.T, Y @ G2.T) > 0) == separate
    value, C = _clip_two_exponentials(K, tau)
    value += 0.15 * np.linalg.norm(G1.T @ G2) ** 2
    got_value, (dG1, dG2) = loss.value_and_gradient(G1, G2, X, Y)
    expected = (G2 @ Y.T @ C.T @ X + 0.3 * G2 @ G2.T @ G1, G1 @ X.T @ C @ Y + 0.3 * G1 @ G1.T @ G2)

    def rel(a, b):
        return np.linalg.norm(np.subtract(a, b)) / np.linalg.norm(b)

    assert rel(got_value, value) <= 1e-12
    assert rel(dG1, expected[0]) <= 1e-12 and rel(dG2, expected[1]) <= 1e-12
    beta = -C
    beta[~np.eye(n, dtype=bool)] *= -1
    assert rel(loss.weights(G1, G2, X, Y), beta) <= 1e-12
    assert rel(loss.cross_covariance(G1, G2, X, Y), -X.T @ C @ Y) <= 1e-12
    assert rel(mmcl.contrastive_cross_covariance(X, Y, beta), -X.T @ C @ Y) <= 1e-12


# --- Hessian-vector products ------------------------------------------------------


def _gradient_difference(loss, G1, G2, X, Y, V1, V2, h=1e-6):
    plus = loss.gradient(G1 + h * V1, G2 + h * V2, X, Y)
    minus = loss.gradient(G1 - h * V1, G2 - h * V2, X, Y)
    return [(a - b) / (2 * h) for a, b in zip(plus, minus)]


@pytest.mark.parametrize(
    "loss, scale",
    [
        (mmcl.clip_loss(tau=0.7, rho=0.1), 0.5),
        (mmcl.clip_loss(tau=1e-3, rho=0.0), 0.5),  # columns with their own exponential
        (mmcl.linear_loss(rho=0.4), 1.0),
        (_generic("clip", tau=0.7, rho=0.1), 0.5),  # the default operator: central differences
        (SquaredToIdentity(rho=0.2), 0.5),
    ],
    ids=["clip", "clip tiny tau", "linear", "generic family", "own loss"],
)
def test_second_order_is_value_gradient_and_hessian_product(loss, scale):
    rng = np.random.default_rng(3)
    G1, G2, X, Y = random_problem(rng, n=30, d1=5, d2=4, r=2, scale=scale)
    V1, V2 = rng.standard_normal(G1.shape), rng.standard_normal(G2.shape)
    value, grad, hessp = loss.second_order(G1, G2, X, Y)
    expected_value, expected_grad = loss.value_and_gradient(G1, G2, X, Y)
    assert value == pytest.approx(expected_value, rel=1e-13)
    for a, b in zip(grad, expected_grad):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    for a, b in zip(hessp(V1, V2), _gradient_difference(loss, G1, G2, X, Y, V1, V2)):
        assert np.linalg.norm(a - b) <= 1e-6 * np.linalg.norm(b)


def test_clip_logit_hvp_operator_is_the_derivative_of_the_logit_gradient():
    rng = np.random.default_rng(4)
    n, tau = 12, 0.6
    K, dK = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    loss = mmcl.clip_loss(tau=tau)
    C = loss.logit_gradient(K.copy())[1]
    K_before = K.copy()
    analytic = loss.logit_hvp_operator(K, C)(dK)
    default = mmcl.LogitLoss.logit_hvp_operator(loss, K, C)(dK)  # central differences
    np.testing.assert_array_equal(K, K_before)
    assert np.linalg.norm(analytic - default) <= 1e-8 * np.linalg.norm(analytic)
    # Each softmax sums to one, so dL/dK sums to -1 whatever K: its derivative sums to 0.
    assert abs(analytic.sum()) < 1e-12 * np.abs(analytic).max()
    linear = mmcl.linear_loss()
    np.testing.assert_array_equal(linear.logit_hvp_operator(K, C)(dK), 0.0)


def test_fused_clip_hessian_product_equals_the_n_by_n_route():
    rng = np.random.default_rng(5)
    E1, E2 = rng.standard_normal((25, 3)), rng.standard_normal((25, 3))
    D1, D2 = rng.standard_normal((25, 3)), rng.standard_normal((25, 3))
    loss = mmcl.clip_loss(tau=0.4)
    fused = loss.embedding_hvp_operator(E1, E2)
    n_by_n = mmcl.LogitLoss.embedding_hvp_operator(loss, E1, E2)
    assert fused[0] == pytest.approx(n_by_n[0], rel=1e-14)
    for a, b in zip(fused[1:3] + fused[3](D1, D2), n_by_n[1:3] + n_by_n[3](D1, D2)):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)


# --- memory: n x n arrays held, and the budget --------------------------------------


def _peak_arrays(call, n):
    """Peak memory allocated during ``call()``, in n x n float64 arrays."""
    import tracemalloc

    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / (8 * n * n)
    finally:
        tracemalloc.stop()


def test_losses_hold_no_more_n_by_n_arrays_than_they_declare():
    n = 400
    rng = np.random.default_rng(6)
    G1, G2, X, Y = random_problem(rng, n=n, d1=6, d2=5, r=2)
    clip, linear, generic = mmcl.clip_loss(0.5), mmcl.linear_loss(), _generic("clip", tau=0.5)
    slack = 0.2  # the thin n x d arrays
    peaks = {
        "clip value_and_gradient": (clip.value_and_gradient, 1),
        "clip weights": (clip.weights, clip.logit_arrays),
        "clip cross_covariance": (clip.cross_covariance, 1),
        "generic value_and_gradient": (generic.value_and_gradient, generic.logit_arrays),
        "linear value_and_gradient": (linear.value_and_gradient, 0),
        "linear cross_covariance": (linear.cross_covariance, 0),
        "linear weights": (linear.weights, 1),
    }
    for name, (method, declared) in peaks.items():
        peak = _peak_arrays(lambda method=method: method(G1, G2, X, Y), n)
        assert peak <= declared + slack, (name, peak)
    hessp = clip.second_order(G1, G2, X, Y)[2]
    assert _peak_arrays(lambda: clip.second_order(G1, G2, X, Y)[2](G1, G2), n) <= 2 + slack
    assert _peak_arrays(lambda: hessp(G1, G2), n) <= 1 + slack
    beta = clip.weights(G1, G2, X, Y)
    assert _peak_arrays(lambda: mmcl.contrastive_cross_covariance(X, Y, beta), n) <= slack
    assert clip.logit_arrays == 2 and generic.logit_arrays == 5


@pytest.fixture
def small_budget():
    """A memory budget of 100 kB for the test, restored afterwards."""
    previous = mmcl.set_memory_budget(100_000)
    yield 100_000
    mmcl.set_memory_budget(previous)


def test_memory_budget_refuses_before_allocating(small_budget):
    rng = np.random.default_rng(8)
    G1, G2, X, Y = random_problem(rng, n=200, d1=4, d2=3)  # one 200 x 200 array: 320 kB
    clip = mmcl.clip_loss()
    for call in (
        lambda: clip.value(G1, G2, X, Y),
        lambda: clip.weights(G1, G2, X, Y),
        lambda: clip.second_order(G1, G2, X, Y),
        lambda: mmcl.linear_loss().weights(G1, G2, X, Y),
        lambda: SquaredToIdentity().gradient(G1, G2, X, Y),
    ):
        with pytest.raises(mmcl.MemoryBudgetError, match=r"n = 200: .*kB.*memory budget of 100 kB"):
            call()
    with pytest.raises(MemoryError):  # also a MemoryError ...
        clip.value(G1, G2, X, Y)
    with pytest.raises(ValueError, match="set_memory_budget"):  # ... and a ValueError
        clip.value(G1, G2, X, Y)
    # Routines without an n x n array are not limited.
    linear = mmcl.linear_loss(0.5)
    assert np.isfinite(linear.value(G1, G2, X, Y))
    assert linear.cross_covariance(G1, G2, X, Y).shape == (4, 3)
    assert linear.second_order(G1, G2, X, Y)[2](G1, G2)[0].shape == G1.shape
    assert mmcl.fit_svd(X, Y, 2).G1.shape == (2, 4)
    beta = np.full((200, 200), 1e-3)  # given, so not counted
    assert mmcl.contrastive_cross_covariance(X, Y, beta).shape == (4, 3)


def test_memory_budget_can_be_read_set_and_restored(small_budget):
    assert mmcl.memory_budget() == small_budget
    previous = mmcl.set_memory_budget(2.5e6)
    assert previous == small_budget and mmcl.memory_budget() == 2_500_000
    mmcl.set_memory_budget(None)  # the default: half the physical memory
    assert mmcl.memory_budget() > 2_500_000
    rng = np.random.default_rng(9)
    G1, G2, X, Y = random_problem(rng, n=200)
    assert np.isfinite(mmcl.clip_loss().value(G1, G2, X, Y))
