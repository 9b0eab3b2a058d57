"""mmcl.unpaired: pairs plus unpaired samples, by alternating matching and SVD steps."""

import numpy as np
import pytest

import mmcl


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
    one = mmcl.fit_with_unpaired(X, Y, Xu, Yu, 4, lam=lam, rounds=1)
    two = mmcl.fit_with_unpaired(X, Y, Xu, Yu, 4, lam=lam, rounds=2)
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
    base = mmcl.fit_with_unpaired(pairs.X, pairs.Y, Xu, Yu, 4, rounds=1)
    moved = mmcl.fit_with_unpaired(
        pairs.X, pairs.Y, Xu * cx[:, None], Yu * cy[:, None], 4, rounds=1
    )
    assert len(base.pairs) > 10
    np.testing.assert_array_equal(moved.pairs, base.pairs)
    np.testing.assert_allclose(moved.similarities, base.similarities, atol=1e-10)
    np.testing.assert_allclose(moved.G1.T @ moved.G2, base.G1.T @ base.G2, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(moved.history["loss"], base.history["loss"], rtol=1e-9)


def test_theta_inf_returns_pairs_only_fit():
    _, pairs, un = _setting()
    fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 3, theta=np.inf)
    ref = mmcl.fit_svd(pairs.X, pairs.Y, 3)
    assert fit.pairs.shape == (0, 2)
    assert np.allclose(fit.G1, ref.G1) and np.allclose(fit.G2, ref.G2)
    assert fit.converged


def test_noise_free_recovers_true_matching_exactly():
    _, pairs, un = _setting(noise_sd=0.0, m=50)
    fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 3, target_fdr=0.05)
    assert np.array_equal(fit.pairs, un.truth)
    assert mmcl.detection_scores(fit.pairs, un.truth) == (1.0, 1.0)
    assert fit.converged and fit.history["changed"][-1] == 0


def test_high_snr_detection_and_half_partners():
    # r = 8: in a low-dimensional embedding best matches of unrelated samples
    # look almost as good as true pairs
    _, pairs, un = _setting(
        seed=5, signal=16.0, noise_sd=0.5, m=150, fraction=0.5, d1=20, d2=18, r=8
    )
    fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 8, target_fdr=0.1)
    precision, recall = mmcl.detection_scores(fit.pairs, un.truth)
    assert precision >= 0.9 and recall >= 0.9


def test_fixed_theta_and_batches_keep_pairs_inside_blocks():
    _, pairs, un = _setting(m=60, batch_size=20)
    for i, j in un.truth:
        assert i // 20 == j // 20
    fit = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 3, theta=0.8, batch_size=20)
    assert np.all(fit.pairs // 20 == (fit.pairs // 20)[:, :1])
    assert np.all(fit.similarities > 0.8)
    assert set(fit.history) == {"theta", "n_pairs", "loss", "changed"}
    assert len(fit.pair_history) == len(fit.history["theta"])
    assert np.all(fit.history["theta"][1:] == 0.8)


def test_result_does_not_depend_on_the_order_of_unpaired_rows():
    _, pairs, un = _setting(seed=2)
    rng = np.random.default_rng(1)
    p1, p2 = rng.permutation(80), rng.permutation(80)
    base = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, 3)
    moved = mmcl.fit_with_unpaired(pairs.X, pairs.Y, un.Xu[p1], un.Yu[p2], 3)
    back = np.column_stack([p1[moved.pairs[:, 0]], p2[moved.pairs[:, 1]]])
    assert sorted(map(tuple, back.tolist())) == sorted(map(tuple, base.pairs.tolist()))
    np.testing.assert_allclose(moved.G1.T @ moved.G2, base.G1.T @ base.G2, rtol=1e-8, atol=1e-12)


def test_determinism_under_fixed_seed():
    a, b = _setting(seed=7), _setting(seed=7)
    assert np.array_equal(a[2].Xu, b[2].Xu) and np.array_equal(a[2].truth, b[2].truth)
    fa = mmcl.fit_with_unpaired(a[1].X, a[1].Y, a[2].Xu, a[2].Yu, 3)
    fb = mmcl.fit_with_unpaired(b[1].X, b[1].Y, b[2].Xu, b[2].Yu, 3)
    assert np.array_equal(fa.pairs, fb.pairs) and np.array_equal(fa.G1, fb.G1)


def test_oracle_with_no_pairs_is_fit_svd():
    _, pairs, un = _setting()
    fit = mmcl.fit_with_pairs(pairs.X, pairs.Y, un.Xu, un.Yu, 3, pairs=np.empty((0, 2), int))
    assert np.allclose(fit.S, mmcl.fit_svd(pairs.X, pairs.Y, 3).S)


def test_oracle_adds_the_centred_pairs_to_S():
    _, pairs, un = _setting()
    X, Y, n = pairs.X, pairs.Y, len(pairs.X)
    fit = mmcl.fit_with_pairs(X, Y, un.Xu, un.Yu, 3, pairs=un.truth, lam=0.5, rho=2.0)
    Xuc, Yuc = un.Xu - un.Xu.mean(0), un.Yu - un.Yu.mean(0)
    S = (
        mmcl.linear_cross_covariance(X, Y)
        + 0.5 / (n - 1) * Xuc[un.truth[:, 0]].T @ Yuc[un.truth[:, 1]]
    )
    np.testing.assert_allclose(fit.S, S, rtol=1e-12, atol=1e-14)
    assert fit.rho == 2.0


def test_assignment_too_large_is_refused():
    _, pairs, un = _setting()
    data = (pairs.X, pairs.Y, un.Xu, un.Yu)
    with pytest.raises(ValueError, match=r"m1 = 80 and m2 = 80.*batch_size"):
        mmcl.fit_with_unpaired(*data, 3, max_assignment_bytes=10_000)
    fit = mmcl.fit_with_unpaired(*data, 3, batch_size=20, max_assignment_bytes=10_000)
    assert fit.G1.shape == (3, 12)
    with pytest.raises(ValueError, match="batch_size"):
        mmcl.fit_with_unpaired(*data, 3, batch_size=80, max_assignment_bytes=10_000)
