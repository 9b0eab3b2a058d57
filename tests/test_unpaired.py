"""mmcl.unpaired: pairs plus unpaired samples, by alternating matching and SVD steps.

The raw family (``whiten=False``) is the chapter's plain algorithm: its per-round rescaling,
SVD step and loss history are checked against their definition. The whitened family (the
default) is checked against PCA on all samples under isotropic noise, and for its detection."""

import numpy as np
import pytest

import mmcl

RAW = {"whiten": False, "matching": "dense"}


def _setting(seed=0, noise_sd=0.3, signal=4.0, n=60, m=80, fraction=1.0, d1=12, d2=10, r=3, **kw):
    model = mmcl.make_model(d1, d2, r, rng=seed, signal=signal, noise_sd=noise_sd)
    pairs = model.sample(n, rng=seed + 1)
    un = mmcl.sample_unpaired(model, m, partner_fraction=fraction, rng=seed + 2, **kw)
    return model, pairs, un


def _round(X, Y, Xu, Yu, G1, G2, P, theta, *, rho=1.0, lam=1.0):
    """One round of the chapter's loss, from its definition (module docstring of mmcl.unpaired).

    Returns the rank-r minimiser of the SVD step and a function giving the round's loss at any
    encoders: L_lin(G1, G2; X, Y) - lam/(n-1) sum_P (<G1 xv_i, G2 yv_j> - nu mu theta).
    """
    n, r = X.shape[0], G1.shape[0]
    Xuc, Yuc = Xu - Xu.mean(0), Yu - Yu.mean(0)
    a, b = np.linalg.norm(Xuc @ G1.T, axis=1), np.linalg.norm(Yuc @ G2.T, axis=1)
    nu, mu = np.sqrt(np.mean(a**2)), np.sqrt(np.mean(b**2))
    Xv, Yv = Xuc * (nu / a)[:, None], Yuc * (mu / b)[:, None]
    np.testing.assert_allclose(np.linalg.norm(Xv @ G1.T, axis=1), nu)  # one RMS norm per modality
    S_P = mmcl.linear_cross_covariance(X, Y) + lam / (n - 1) * Xv[P[:, 0]].T @ Yv[P[:, 1]]
    best = mmcl.fit_svd_from_cross_covariance(S_P, r, rho=rho)

    def loss(A, B):
        inner = np.sum((Xv[P[:, 0]] @ A.T) * (Yv[P[:, 1]] @ B.T), axis=1)
        return mmcl.linear_loss(rho).value(A, B, X, Y) - lam / (n - 1) * np.sum(
            inner - nu * mu * theta
        )

    return best, loss


@pytest.mark.parametrize("lam", [1.0, 0.5])
def test_svd_step_and_loss_history_follow_the_definition(lam):
    """Rounds 1 and 2 recomputed from the returned matchings: the SVD step on S_P of the rescaled
    pseudo-pairs, and the loss the history reports (price term included)."""
    _, pairs, un = _setting(seed=3, signal=8.0, r=4)
    X, Y, Xu, Yu = pairs.X, pairs.Y, un.Xu, un.Yu
    one = mmcl.fit_with_unpaired(X, Y, Xu, Yu, 4, lam=lam, rounds=1, **RAW)
    two = mmcl.fit_with_unpaired(X, Y, Xu, Yu, 4, lam=lam, rounds=2, **RAW)
    start = mmcl.fit_svd(X, Y, 4)
    assert one.history["loss"][0] == pytest.approx(start.value, rel=1e-12)
    for fit, (G1, G2) in ((one, (start.G1, start.G2)), (two, (one.G1, one.G2))):
        k = len(fit.pair_history) - 1
        P, theta = fit.pair_history[k], fit.history["theta"][k]
        assert len(P) > 10 and np.isfinite(theta) and fit.history["n_pairs"][k] == len(P)
        best, loss = _round(X, Y, Xu, Yu, G1, G2, P, theta, lam=lam)
        np.testing.assert_allclose(fit.G1.T @ fit.G2, best.G1.T @ best.G2, rtol=1e-9, atol=1e-12)
        assert fit.history["loss"][k] == pytest.approx(loss(fit.G1, fit.G2), rel=1e-9, abs=1e-12)
        # The SVD step minimises the round's loss over the encoders.
        rng = np.random.default_rng(k)
        for _ in range(3):
            assert (
                loss(
                    fit.G1 + 1e-3 * rng.standard_normal(fit.G1.shape),
                    fit.G2 + 1e-3 * rng.standard_normal(fit.G2.shape),
                )
                >= fit.history["loss"][k]
            )
    assert two.pair_history[1].tolist() == one.pairs.tolist()


def test_round_is_invariant_to_rescaling_unpaired_rows():
    """Each pseudo-pair enters rescaled to its modality's RMS embedding norm, so multiplying
    unpaired rows by positive constants that keep that RMS norm changes nothing. (The constants
    are 1 + v with v orthogonal to the columns, so rows of zero mean keep a zero mean.)"""
    _, pairs, un = _setting(seed=1, signal=8.0, r=4)
    Xu, Yu = un.Xu - un.Xu.mean(0), un.Yu - un.Yu.mean(0)
    start = mmcl.fit_svd(pairs.X, pairs.Y, 4)  # the encoders of the first matching step
    rng = np.random.default_rng(0)

    def row_scales(A, G):
        v = rng.standard_normal(A.shape[0])
        v -= A @ np.linalg.lstsq(A, v, rcond=None)[0]  # A^T v = 0: the mean stays zero
        c = 1.0 + 0.6 * v / np.abs(v).max()
        norms = np.linalg.norm(A @ G.T, axis=1)
        return c * np.sqrt(np.mean(norms**2) / np.mean((c * norms) ** 2))

    cx, cy = row_scales(Xu, start.G1), row_scales(Yu, start.G2)
    assert cx.max() / cx.min() > 3 and cy.max() / cy.min() > 3
    base = mmcl.fit_with_unpaired(pairs.X, pairs.Y, Xu, Yu, 4, rounds=1, **RAW)
    moved = mmcl.fit_with_unpaired(
        pairs.X, pairs.Y, Xu * cx[:, None], Yu * cy[:, None], 4, rounds=1, **RAW
    )
    assert len(base.pairs) > 10
    np.testing.assert_array_equal(moved.pairs, base.pairs)
    np.testing.assert_allclose(moved.scores, base.scores, atol=1e-10)
    np.testing.assert_allclose(moved.G1.T @ moved.G2, base.G1.T @ base.G2, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(moved.history["loss"], base.history["loss"], rtol=1e-9)


def test_round_never_increases_its_own_loss():
    """Within a round of the raw family (dense matching), the matching step and then the SVD step
    each lower the round's loss: L_t(G_t, P_t) <= L_t(G_{t-1}, P_t) <= L_t(G_{t-1}, P_{t-1})."""
    _, pairs, un = _setting(seed=4, signal=6.0, r=4, m=60)
    X, Y, Xu, Yu = pairs.X, pairs.Y, un.Xu, un.Yu
    fits = [mmcl.fit_with_unpaired(X, Y, Xu, Yu, 4, rounds=t, tol=0, **RAW) for t in (1, 2, 3)]
    start = mmcl.fit_svd(X, Y, 4)
    encoders = [(start.G1, start.G2)] + [(f.G1, f.G2) for f in fits]
    for t in range(1, 4):
        G_prev, G_new = encoders[t - 1], encoders[t]
        P_prev, P_new = fits[-1].pair_history[t - 1], fits[-1].pair_history[t]
        theta = fits[-1].history["theta"][t]
        _, loss = _round(X, Y, Xu, Yu, *G_prev, P_new, theta)
        _, loss_before = _round(X, Y, Xu, Yu, *G_prev, P_prev, theta)
        assert loss(*G_new) <= loss(*G_prev) + 1e-12
        assert loss(*G_prev) <= loss_before(*G_prev) + 1e-12
        assert fits[-1].history["loss"][t] == pytest.approx(loss(*G_new), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("whiten", [False, True])
def test_theta_inf_returns_the_fit_without_pseudo_pairs(whiten):
    _, pairs, un = _setting()
    data = (pairs.X, pairs.Y, un.Xu, un.Yu, 3)
    fit = mmcl.fit_with_unpaired(*data, theta=np.inf, whiten=whiten)
    ref = mmcl.fit_with_pairs(*data, pairs=np.empty((0, 2), int), whiten=whiten)
    assert fit.pairs.shape == (0, 2)
    np.testing.assert_allclose(fit.G1, ref.G1, atol=1e-12)
    np.testing.assert_allclose(fit.G2, ref.G2, atol=1e-12)
    assert fit.converged
    if not whiten:
        np.testing.assert_allclose(fit.G1, mmcl.fit_svd(pairs.X, pairs.Y, 3).G1, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_isotropic_default_is_pca_on_all_samples(seed):
    """Isotropic noise: r spikes, nothing detected at a low SNR, and the row space of G1 is the
    PCA subspace of all x's (of G2: of all y's) to 1e-8."""
    model = mmcl.make_model(40, 40, 10, rng=seed, signal=2.0, noise_sd=1.0)
    pairs = model.sample(40, rng=seed + 100)
    un = mmcl.sample_unpaired(model, 400, partner_fraction=0.5, rng=seed + 200)
    fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 10)
    assert fit.spikes == (10, 10) and len(fit.pairs) == 0
    for G, A, B in ((fit.G1, pairs.X, un.Xu), (fit.G2, pairs.Y, un.Yu)):
        assert mmcl.sin_theta(G.T, mmcl.pca(np.vstack([A, B]), 10).T) < 1e-8


def test_isotropic_default_is_pca_whatever_it_detects():
    """With k = r the subspace is PCA's even when many pairs are detected."""
    model = mmcl.make_model(40, 40, 10, rng=0, signal=32.0, noise_sd=1.0)
    pairs, un = model.sample(40, rng=1), mmcl.sample_unpaired(model, 400, rng=2)
    fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 10)
    assert fit.spikes == (10, 10) and len(fit.pairs) > 300
    assert mmcl.sin_theta(fit.G1.T, mmcl.pca(np.vstack([pairs.X, un.Xu]), 10).T) < 1e-8


def _structured(seed, snr=32.0, m=400, fraction=0.5):
    model = mmcl.make_model(
        40, 40, 10, rng=seed, signal=snr, noise_sd=1.0, nuisance_rank=3, nuisance_strength=3.0
    )
    pairs = model.sample(40, rng=seed + 1)
    un = mmcl.sample_unpaired(model, m, partner_fraction=fraction, rng=seed + 2)
    return model, pairs, un


def test_structured_noise_default_beats_both_simple_routes():
    """A rank-3 nuisance: 13 spikes, near-complete detection, and a loading error well below
    pairs only and PCA on all samples (margins of 2x by design: 0.05 against 0.2)."""
    model, pairs, un = _structured(0)
    data = (pairs.X, pairs.Y, un.Xu, un.Yu, 10)
    fit = mmcl.fit_with_unpaired(*data)
    assert fit.spikes == (13, 13)
    precision, recall = mmcl.detection_scores(fit.pairs, un.truth)
    assert precision > 0.85 and recall > 0.9
    cov = model.covariance(1)
    new = mmcl.loading_sin_theta(fit.G1, model.U1, cov)
    for G in (mmcl.fit_svd(pairs.X, pairs.Y, 10).G1, mmcl.pca(np.vstack([pairs.X, un.Xu]), 10)):
        assert new < 0.5 * mmcl.loading_sin_theta(G, model.U1, cov)


def test_decoy_fdr_holds_on_average_over_seeds():
    """The map's structured setting (SNR 32, m = 400, half partnered): the mean false-discovery
    proportion over 20 seeds is at most the 10% target; so is round 1's."""
    fdp = {1: [], 10: []}
    for seed in range(20):
        _, pairs, un = _structured(1000 + 7 * seed)
        for rounds in fdp:
            fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 10, rounds=rounds)
            assert len(fit.pairs) > 50  # not vacuous: something is detected in every run
            fdp[rounds].append(1 - mmcl.detection_scores(fit.pairs, un.truth)[0])
    assert np.mean(fdp[1]) <= 0.1 and np.mean(fdp[10]) <= 0.1


def test_no_partners_no_discoveries():
    """When no unpaired sample has a partner every discovery is false; the price buys none."""
    for seed in range(5):
        _, pairs, un = _structured(50 + seed, fraction=0.0)
        for whiten in (True, False):
            fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 10, whiten=whiten)
            assert len(fit.pairs) <= 1


@pytest.mark.parametrize("whiten", [False, True])
def test_sparse_matching_agrees_with_dense(whiten):
    model, pairs, un = _structured(3, m=300)
    data = (pairs.X, pairs.Y, un.Xu, un.Yu, 10)
    fits = [mmcl.fit_with_unpaired(*data, whiten=whiten, matching=k) for k in ("sparse", "dense")]
    scores = [mmcl.detection_scores(f.pairs, un.truth) for f in fits]
    assert abs(scores[0][0] - scores[1][0]) < 0.03 and abs(scores[0][1] - scores[1][1]) < 0.03


def test_noise_free_recovers_true_matching_exactly():
    _, pairs, un = _setting(noise_sd=0.0, m=50)
    fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 3, target_fdr=0.05, **RAW)
    assert np.array_equal(fit.pairs, un.truth)
    assert fit.converged and fit.history["changed"][-1] == 0
    # The likelihood ratio caps the evidence of a pair (correlations clipped at 0.95): pairs of
    # small latents stay below the price, but nothing false is bought.
    fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 3, target_fdr=0.05)
    assert fit.spikes == (3, 3)
    precision, recall = mmcl.detection_scores(fit.pairs, un.truth)
    assert precision == 1.0 and recall > 0.5


def test_high_snr_detection_and_half_partners():
    # r = 8: in a low-dimensional embedding best matches of unrelated samples
    # look almost as good as true pairs
    _, pairs, un = _setting(
        seed=5, signal=16.0, noise_sd=0.5, m=150, fraction=0.5, d1=20, d2=18, r=8
    )
    for whiten in (False, True):
        fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 8, whiten=whiten)
        precision, recall = mmcl.detection_scores(fit.pairs, un.truth)
        assert precision >= 0.9 and recall >= 0.9


def test_fixed_theta_and_batches_keep_pairs_inside_blocks():
    _, pairs, un = _setting(m=60, batch_size=20)
    for i, j in un.truth:
        assert i // 20 == j // 20
    for matching in ("dense", "sparse"):
        fit = mmcl.fit_with_unpaired(
            pairs.X, pairs.Y, un.Xu, un.Yu, 3, theta=0.8, batch_size=20, whiten=False,
            matching=matching,
        )  # fmt: skip
        assert len(fit.pairs) > 10
        assert np.all(fit.pairs // 20 == (fit.pairs // 20)[:, :1])
        assert np.all(fit.scores > 0.8)
        assert set(fit.history) == {"theta", "n_pairs", "n_decoy", "loss", "changed"}
        assert len(fit.pair_history) == len(fit.history["theta"])
        assert np.all(fit.history["theta"][1:] == 0.8)


def test_groups_that_cannot_hold_the_partners_raise_a_warning():
    """Batches drawn without regard to the pairs: most confident matches cross them."""
    _, pairs, un = _setting(seed=5, signal=16.0, noise_sd=0.5, m=400, d1=20, d2=18, r=8)
    data = (pairs.X, pairs.Y, un.Xu, un.Yu, 8)
    with pytest.warns(UserWarning, match="do not hold the true partners"):
        mmcl.fit_with_unpaired(*data, batch_size=50)
    good = mmcl.sample_unpaired(
        mmcl.make_model(20, 18, 8, rng=5, signal=16.0, noise_sd=0.5), 400, batch_size=50, rng=7
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mmcl.fit_with_unpaired(pairs.X, pairs.Y, good.Xu, good.Yu, 8, batch_size=50)


@pytest.mark.parametrize("whiten", [False, True])
def test_result_does_not_depend_on_the_order_of_unpaired_rows(whiten):
    _, pairs, un = _setting(seed=2)
    rng = np.random.default_rng(1)
    p1, p2 = rng.permutation(80), rng.permutation(80)
    base = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 3, whiten=whiten)
    moved = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu[p1], un.Yu[p2], 3, whiten=whiten)
    back = np.column_stack([p1[moved.pairs[:, 0]], p2[moved.pairs[:, 1]]])
    assert sorted(map(tuple, back.tolist())) == sorted(map(tuple, base.pairs.tolist()))
    np.testing.assert_allclose(moved.G1.T @ moved.G2, base.G1.T @ base.G2, rtol=1e-7, atol=1e-10)


def test_determinism_under_fixed_seed():
    a, b = _setting(seed=7), _setting(seed=7)
    assert np.array_equal(a[2].Xu, b[2].Xu) and np.array_equal(a[2].truth, b[2].truth)
    fa = mmcl.fit_with_unpaired(a[1].X, a[1].Y, a[2].Xu, a[2].Yu, 3)
    fb = mmcl.fit_with_unpaired(b[1].X, b[1].Y, b[2].Xu, b[2].Yu, 3)
    assert np.array_equal(fa.pairs, fb.pairs) and np.array_equal(fa.G1, fb.G1)


def test_dense_assignment_too_large_is_refused():
    _, pairs, un = _setting()
    data = (pairs.X, pairs.Y, un.Xu, un.Yu)
    with pytest.raises(ValueError, match=r"m1 = 80 and m2 = 80.*sparse"):
        mmcl.fit_with_unpaired(*data, 3, matching="dense", max_assignment_bytes=10_000)
    fit = mmcl.fit_with_unpaired(*data, 3, max_assignment_bytes=10_000)  # sparse: no limit
    assert fit.G1.shape == (3, 12)
