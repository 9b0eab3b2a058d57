"""mmcl.pseudo_pairs: the SVD step on pairs plus given pseudo-pairs, raw and whitened."""

import numpy as np

import mmcl
from mmcl.pseudo_pairs import cca_step, whitened_problem


def _problem(seed=0, m=80):
    model = mmcl.make_model(12, 10, 3, rng=seed, signal=4.0, noise_sd=0.3)
    pairs = model.sample(60, rng=seed + 1)
    un = mmcl.sample_unpaired(model, m, rng=seed + 2)
    return model, pairs, un


def test_oracle_with_no_pairs_is_fit_svd():
    _, pairs, un = _problem()
    fit = mmcl.fit_with_pairs(pairs.X, pairs.Y, un.Xu, un.Yu, 3, pairs=np.empty((0, 2), int))
    assert np.allclose(fit.S, mmcl.fit_svd(pairs.X, pairs.Y, 3).S)


def test_oracle_adds_the_centred_pairs_to_S():
    _, pairs, un = _problem()
    X, Y, n = pairs.X, pairs.Y, len(pairs.X)
    fit = mmcl.fit_with_pairs(X, Y, un.Xu, un.Yu, 3, pairs=un.truth, lam=0.5, rho=2.0)
    Xuc, Yuc = un.Xu - un.Xu.mean(0), un.Yu - un.Yu.mean(0)
    S = (
        mmcl.linear_cross_covariance(X, Y)
        + 0.5 / (n - 1) * Xuc[un.truth[:, 0]].T @ Yuc[un.truth[:, 1]]
    )
    np.testing.assert_allclose(fit.S, S, rtol=1e-12, atol=1e-14)
    assert fit.rho == 2.0


def test_whitened_step_is_cca_of_the_pair_set_in_reduced_coordinates():
    _, pairs, un = _problem()
    w = whitened_problem(pairs.X, pairs.Y, un.Xu, un.Yu, 3)
    P = un.truth[:30]
    step = cca_step(w, P, 3, rho=4.0, lam=0.5)
    Xs, Ys = np.vstack([w.X, w.Xu[P[:, 0]]]), np.vstack([w.Y, w.Yu[P[:, 1]]])
    weights = np.r_[np.ones(60), np.full(30, 0.5)]
    ref = mmcl.fit_cca(Xs, Ys, 3, weights=weights)
    np.testing.assert_allclose(step.G1, ref.G1 @ w.whitener1.W / 2.0, atol=1e-12)
    np.testing.assert_allclose(step.correlations, ref.correlations[:3])
    np.testing.assert_allclose(np.linalg.norm(step.A, axis=1), 1.0)
    # The pooled covariance of the reduced coordinates is the identity: unit-variance variates.
    pooled = w.whitener1.transform(np.vstack([pairs.X, un.Xu]))
    np.testing.assert_allclose(np.var(pooled @ step.A.T, axis=0, ddof=1), 1.0, rtol=1e-10)


def test_whitened_oracle_beats_raw_oracle_under_structured_noise():
    model = mmcl.make_model(
        40, 40, 10, rng=3, signal=8.0, noise_sd=1.0, nuisance_rank=3, nuisance_strength=3.0
    )
    pairs, un = model.sample(40, rng=4), mmcl.sample_unpaired(model, 1600, rng=5)
    data = (pairs.X, pairs.Y, un.Xu, un.Yu, 10)
    cov = model.covariance(1)
    white = mmcl.fit_with_pairs(*data, pairs=un.truth, whiten=True)
    raw = mmcl.fit_with_pairs(*data, pairs=un.truth)
    err = [mmcl.loading_sin_theta(f.G1, model.U1, cov) for f in (white, raw)]
    assert err[0] < 0.5 * err[1]
