"""mmcl.losses.zoo: values, gradients, the S(beta) identity, Hessian products, stability, and
the spectral loss's minimiser (CCA)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logsumexp

import mmcl
from mmcl.losses import LogitLoss

#: name -> factory of a loss with parameters drawn by hypothesis.
MAKERS = {
    "infonce": lambda p: mmcl.infonce_loss(tau=p["tau"], rho=p["rho"]),
    "siglip": lambda p: mmcl.siglip_loss(t=p["t"], b=p["b"], rho=p["rho"]),
    "spectral": lambda p: mmcl.spectral_loss(rho=p["rho"]),
    "dcl": lambda p: mmcl.dcl_loss(tau=p["tau"], rho=p["rho"]),
    "vse": lambda p: mmcl.vse_loss(margin=p["margin"], rho=p["rho"]),
}
SMOOTH = ["infonce", "siglip", "spectral", "dcl"]

params = st.fixed_dictionaries(
    {
        "tau": st.sampled_from([0.3, 1.0, 4.0]),
        "t": st.sampled_from([0.5, 2.0, 10.0]),
        "b": st.sampled_from([-10.0, -2.0, 0.0, 3.0]),
        "rho": st.sampled_from([0.0, 0.1, 2.0]),
        "margin": st.sampled_from([0.0, 0.2, 1.0]),
    }
)
shapes = st.tuples(
    st.integers(2, 9), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3)
).filter(lambda s: s[3] <= min(s[1], s[2]))
seeds = st.integers(0, 10**6)


def problem(seed, shape, scale=0.5):
    n, d1, d2, r = shape
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((n, d1)), rng.standard_normal((n, d2))
    return scale * rng.standard_normal((r, d1)), scale * rng.standard_normal((r, d2)), X, Y


def logits(G1, G2, X, Y):
    return X @ G1.T @ G2 @ Y.T


def explicit_S(X, Y, beta):
    """S(beta) = sum_i beta_ii x_i y_i^T - sum_{i != j} beta_ij x_i y_j^T, term by term."""
    S = np.zeros((X.shape[1], Y.shape[1]))
    for i in range(X.shape[0]):
        for j in range(X.shape[0]):
            S += (beta[i, j] if i == j else -beta[i, j]) * np.outer(X[i], Y[j])
    return S


def relative(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


# --- values -----------------------------------------------------------------------------


def test_values_on_2x2_by_hand():
    # X = K, Y = G1 = G2 = I, so the logit matrix is K itself.
    K = np.array([[1.0, 0.0], [2.0, 3.0]])
    I = np.eye(2)

    def value(loss):
        return loss.value(I, I, K, I)

    # InfoNCE, tau = 1: rows [log(e + 1) - 1] and [log(e^2 + e^3) - 3].
    expected = (np.log(np.e + 1) - 1 + np.log(np.e**2 + np.e**3) - 3) / 2
    assert value(mmcl.infonce_loss(1.0)) == pytest.approx(expected, rel=1e-14)
    # SigLIP, t = 1, b = 0: diagonal log(1 + e^-K_ii), off-diagonal log(1 + e^K_ij).
    expected = (np.log1p(np.exp(-1)) + np.log1p(np.exp(-3)) + np.log(2) + np.log1p(np.e**2)) / 2
    assert value(mmcl.siglip_loss(t=1.0, b=0.0)) == pytest.approx(expected, rel=1e-14)
    # spectral: -(2/2)(1 + 3) + (0 + 4)/2.
    assert value(mmcl.spectral_loss()) == pytest.approx(-2.0, rel=1e-14)
    # DCL, tau = 1: one negative per anchor. Rows (0 - 1) + (2 - 3), columns (2 - 1) + (0 - 3).
    assert value(mmcl.dcl_loss(1.0)) == pytest.approx((-1 - 1 + 1 - 3) / 4, rel=1e-14)
    # VSE++, margin 0.5: rows [0.5 + 0 - 1]_+ + [0.5 + 2 - 3]_+ = 0; columns [0.5 + 2 - 1]_+ = 1.5.
    assert value(mmcl.vse_loss(margin=0.5)) == pytest.approx(1.5 / 2, rel=1e-14)
    # The regulariser adds rho/2 ||G1^T G2||^2 = rho.
    assert mmcl.spectral_loss(rho=0.5).value(I, I, K, I) == pytest.approx(-2.0 + 0.5)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, shape=shapes, p=params)
def test_values_match_direct_formulas(seed, shape, p):
    G1, G2, X, Y = problem(seed, shape, scale=1.0)
    K = logits(G1, G2, X, Y)
    n, k = K.shape[0], np.diag(K)
    R = p["rho"] / 2 * np.linalg.norm(G1.T @ G2) ** 2
    off = ~np.eye(n, dtype=bool)
    tau = p["tau"]
    expected = {
        "infonce": tau * np.mean(logsumexp(K / tau, axis=1) - k / tau),
        "siglip": np.sum(np.logaddexp(0, -np.where(off, -1, 1) * (p["t"] * K + p["b"]))) / n,
        "spectral": -2 * k.sum() / n + np.sum(K[off] ** 2) / (n * (n - 1)),
        "dcl": tau
        * (
            np.sum(logsumexp(np.where(off, K / tau, -np.inf), axis=1) - k / tau)
            + np.sum(logsumexp(np.where(off, K / tau, -np.inf), axis=0) - k / tau)
        )
        / (2 * n),
        "vse": (
            np.maximum(p["margin"] + np.where(off, K, -np.inf).max(axis=1) - k, 0).sum()
            + np.maximum(p["margin"] + np.where(off, K, -np.inf).max(axis=0) - k, 0).sum()
        )
        / n,
    }
    for name, make in MAKERS.items():
        got = make(p).value(G1, G2, X, Y)
        assert got == pytest.approx(expected[name] + R, rel=1e-10, abs=1e-12), name


# --- gradients and the identity -------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seed=seeds, shape=shapes, p=params, name=st.sampled_from(SMOOTH))
def test_gradient_matches_finite_differences(seed, shape, p, name):
    G1, G2, X, Y = problem(seed, shape)
    loss = MAKERS[name](p)
    analytic = loss.gradient(G1, G2, X, Y)
    numeric = mmcl.finite_difference_gradient(loss, G1, G2, X, Y, h=1e-5)
    scale = max(np.linalg.norm(a) for a in analytic) + 1e-3
    for a, b in zip(analytic, numeric):
        assert np.linalg.norm(a - b) / scale <= 1e-6


def test_vse_gradient_matches_finite_differences_away_from_kinks():
    G1, G2, X, Y = problem(3, (6, 3, 3, 2), scale=1.0)
    loss = mmcl.vse_loss(margin=0.3, rho=0.2)
    K = logits(G1, G2, X, Y)
    ranked = -np.sort(-np.where(np.eye(6, dtype=bool), -np.inf, K), axis=1)
    assert (ranked[:, 0] - ranked[:, 1]).min() > 1e-3  # a unique hardest negative per row
    analytic = loss.gradient(G1, G2, X, Y)
    numeric = mmcl.finite_difference_gradient(loss, G1, G2, X, Y, h=1e-7)
    for a, b in zip(analytic, numeric):
        assert relative(b, a) <= 1e-6


@settings(max_examples=15, deadline=None)
@given(seed=seeds, shape=shapes, p=params, name=st.sampled_from(list(MAKERS)))
def test_gradient_is_minus_G2_S_beta_plus_regulariser(seed, shape, p, name):
    G1, G2, X, Y = problem(seed, shape)
    loss = MAKERS[name](p)
    beta = loss.weights(G1, G2, X, Y)
    S = explicit_S(X, Y, beta)
    dG1, dG2 = loss.gradient(G1, G2, X, Y)
    rho = loss.rho
    assert np.allclose(
        dG1, -G2 @ S.T + rho * G2 @ G2.T @ G1, rtol=0, atol=1e-8 * (1 + abs(dG1).max())
    )
    assert np.allclose(
        dG2, -G1 @ S + rho * G1 @ G1.T @ G2, rtol=0, atol=1e-8 * (1 + abs(dG2).max())
    )
    assert np.allclose(loss.cross_covariance(G1, G2, X, Y), S, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["infonce", "siglip", "dcl", "vse"])
def test_weights_are_non_negative_and_positives_carry_the_negatives(name):
    G1, G2, X, Y = problem(1, (7, 3, 3, 2), scale=1.0)
    p = {"tau": 0.5, "t": 3.0, "b": -2.0, "rho": 0.1, "margin": 2.0}
    beta = MAKERS[name](p).weights(G1, G2, X, Y)
    assert (beta >= 0).all()
    if name == "infonce":  # row-balanced: beta_ii = sum_{j != i} beta_ij
        np.testing.assert_allclose(np.diag(beta), beta.sum(axis=1) - np.diag(beta), rtol=1e-12)
    if name == "dcl":
        np.testing.assert_allclose(np.diag(beta), 1 / 7, rtol=1e-14)


def test_spectral_weights_are_signed_logits():
    G1, G2, X, Y = problem(2, (6, 3, 4, 2))
    beta = mmcl.spectral_loss().weights(G1, G2, X, Y)
    K = logits(G1, G2, X, Y)
    off = ~np.eye(6, dtype=bool)
    np.testing.assert_allclose(beta[off], 2 * K[off] / 30, rtol=1e-12)
    np.testing.assert_allclose(np.diag(beta), 2 / 6, rtol=1e-14)
    assert (beta[off] < 0).any()


@pytest.mark.parametrize("name", ["infonce", "spectral", "siglip", "dcl"])
@pytest.mark.parametrize(
    "p", [{"tau": 0.4, "t": 3.0, "b": -2.0}, {"tau": 1e-3, "t": 200.0, "b": 5.0}]
)
def test_fused_embedding_gradient_equals_the_default(name, p):
    G1, G2, X, Y = problem(4, (9, 4, 3, 2), scale=1.0)
    loss = MAKERS[name]({**p, "rho": 0.0})
    E1, E2 = X @ G1.T, Y @ G2.T
    fused = loss.embedding_gradient(E1, E2)
    default = LogitLoss.embedding_gradient(loss, E1, E2)
    assert fused[0] == pytest.approx(default[0], rel=1e-12)
    for a, b in zip(fused[1:], default[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("name", ["infonce", "siglip", "spectral", "dcl", "vse"])
def test_hessian_product_matches_gradient_differences(name):
    G1, G2, X, Y = problem(5, (7, 3, 3, 2), scale=1.0)
    loss = MAKERS[name]({"tau": 0.7, "t": 2.0, "b": -1.0, "rho": 0.0, "margin": 0.2})
    K = logits(G1, G2, X, Y)
    dK = np.random.default_rng(0).standard_normal(K.shape)
    C = loss.logit_gradient(K.copy())[1]
    hvp = loss.logit_hvp_operator(K.copy(), C)(dK)
    if name == "vse":
        assert not hvp.any()
        return
    h = 1e-5
    numeric = (loss.logit_gradient(K + h * dK)[1] - loss.logit_gradient(K - h * dK)[1]) / (2 * h)
    assert relative(hvp, numeric) <= 1e-7


def test_spectral_embedding_hessian_product_equals_the_n_by_n_route():
    rng = np.random.default_rng(6)
    E1, E2, D1, D2 = rng.standard_normal((4, 30, 3))
    loss = mmcl.spectral_loss()
    fused = loss.embedding_hvp_operator(E1, E2)
    n_by_n = LogitLoss.embedding_hvp_operator(loss, E1, E2)
    assert fused[0] == pytest.approx(n_by_n[0], rel=1e-13)
    for a, b in zip(fused[1:3] + fused[3](D1, D2), n_by_n[1:3] + n_by_n[3](D1, D2)):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)


# --- stability --------------------------------------------------------------------------


def test_infonce_and_dcl_are_finite_at_tiny_temperature_with_huge_logits():
    rng = np.random.default_rng(0)
    K = 1e4 * rng.standard_normal((8, 8))
    I = np.eye(8)
    for tau in (1e-3, 1.0, 1e3):
        v, g = mmcl.infonce_loss(tau).value_and_gradient(I, I, K, I)
        assert np.isfinite(v) and all(np.isfinite(a).all() for a in g)
        expected = tau * np.mean(logsumexp(K / tau, axis=1) - np.diag(K) / tau)
        assert v == pytest.approx(expected, rel=1e-12)
        v, g = mmcl.dcl_loss(tau).value_and_gradient(I, I, K, I)
        assert np.isfinite(v) and all(np.isfinite(a).all() for a in g)
        masked = np.where(np.eye(8, dtype=bool), -np.inf, K / tau)
        lse = logsumexp(masked, axis=1).sum() + logsumexp(masked, axis=0).sum()
        assert v == pytest.approx(tau * (lse - 2 * np.trace(K) / tau) / 16, rel=1e-12)


def test_siglip_is_finite_at_large_t_with_huge_logits():
    rng = np.random.default_rng(1)
    K = 1e4 * rng.standard_normal((8, 8))
    I = np.eye(8)
    z = np.where(np.eye(8, dtype=bool), 1.0, -1.0)
    for t, b in ((200.0, -10.0), (200.0, 50.0), (1e-3, 0.0)):
        loss = mmcl.siglip_loss(t=t, b=b)
        v, g = loss.value_and_gradient(I, I, K, I)
        assert np.isfinite(v) and all(np.isfinite(a).all() for a in g)
        assert v == pytest.approx(np.logaddexp(0, -z * (t * K + b)).sum() / 8, rel=1e-12)
        beta = loss.weights(I, I, K, I)
        np.testing.assert_allclose(beta, t * expit(-z * (t * K + b)) / 8, rtol=1e-12, atol=0)


def test_spectral_is_exact_for_large_logits():
    K = np.array([[1e6, -1e6], [2e6, 3e6]])
    I = np.eye(2)
    expected = -(2 / 2) * 4e6 + (1e12 + 4e12) / 2
    assert mmcl.spectral_loss().value(I, I, K, I) == pytest.approx(expected, rel=1e-14)


# --- the spectral loss is CCA ------------------------------------------------------------


@pytest.fixture(scope="module")
def unequal_noise():
    model = mmcl.make_model(
        8,
        6,
        2,
        rng=0,
        signal=[5.0, 3.0],
        heteroskedasticity=(2.0, 0.0),
        nuisance_rank=(0, 2),
        nuisance_strength=3.0,
    )
    s = model.sample(3000, rng=1)
    return s.X - s.X.mean(0), s.Y - s.Y.mean(0), model


def test_spectral_minimiser_is_cca_and_not_pls(unequal_noise):
    from sklearn.cross_decomposition import CCA

    X, Y, _ = unequal_noise
    rng = np.random.default_rng(2)
    start = (0.1 * rng.standard_normal((2, 8)), 0.1 * rng.standard_normal((2, 6)))
    fit = mmcl.polish(X, Y, mmcl.spectral_loss(), init=start)
    cca = mmcl.fit_cca(X, Y, 2)
    sk = CCA(n_components=2, scale=False, max_iter=5000, tol=1e-12).fit(X, Y)
    assert mmcl.sin_theta(fit.G1.T, cca.G1.T) <= 0.01
    assert mmcl.sin_theta(fit.G2.T, cca.G2.T) <= 0.01
    assert mmcl.sin_theta(fit.G1.T, sk.x_rotations_) <= 0.01
    # the product itself, up to the O(1/n) diagonal term
    assert relative(fit.G1.T @ fit.G2, cca.G1.T @ cca.G2) <= 0.01
    assert mmcl.sin_theta(fit.G1.T, mmcl.fit_svd(X, Y, 2).G1.T) >= 0.3


def test_spectral_loss_with_large_rho_tends_to_pls(unequal_noise):
    X, Y, _ = unequal_noise
    rho = 1e4
    pls = mmcl.fit_svd(X, Y, 2, rho=rho / 2)  # the spectral loss's linear term is -2 <W, S>
    start = (pls.G1 * 1.1, pls.G2 * 0.9)
    fit = mmcl.polish(X, Y, mmcl.spectral_loss(rho=rho), init=start)
    assert mmcl.sin_theta(fit.G1.T, pls.G1.T) <= 0.02
