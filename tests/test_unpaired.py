"""Tests for the chapter *Incorporating unpaired data* (mmcl.unpaired, mmcl.paper)."""

import itertools

import numpy as np
import pytest

import mmcl


def _setting(seed=0, noise_sd=0.3, signal=4.0, n=60, m=80, fraction=1.0, d1=12, d2=10, r=3, **kw):
    model = mmcl.make_model(d1, d2, r, rng=seed, signal=signal, noise_sd=noise_sd)
    pairs = model.sample(n, rng=seed + 1)
    un = mmcl.sample_unpaired(model, m, partner_fraction=fraction, rng=seed + 2, **kw)
    return model, pairs, un


def _best_partial_value(s, theta):
    """Brute force over every partial matching (each row and column at most once)."""
    m1, m2 = s.shape
    best = 0.0
    for choice in itertools.product(range(-1, m2), repeat=m1):
        cols = [c for c in choice if c >= 0]
        if len(cols) != len(set(cols)):
            continue
        best = max(best, sum(s[i, c] - theta for i, c in enumerate(choice) if c >= 0))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_assignment_step_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    m1, m2 = rng.integers(1, 5, size=2)
    s = rng.normal(size=(m1, m2))
    theta = rng.normal(scale=0.7)
    pairs, values = mmcl.match_pairs(s, theta)
    assert np.all(values > theta)
    assert len(set(pairs[:, 0])) == len(pairs) and len(set(pairs[:, 1])) == len(pairs)
    assert np.allclose(values, s[pairs[:, 0], pairs[:, 1]])
    assert np.isclose(np.sum(values - theta), _best_partial_value(s, theta), atol=1e-12)
    # the full assignment over all permutations gives the same optimum
    big = max(m1, m2)
    pad = np.zeros((big, big))
    pad[:m1, :m2] = np.maximum(s - theta, 0)
    brute = max(sum(pad[i, p[i]] for i in range(big)) for p in itertools.permutations(range(big)))
    assert np.isclose(np.sum(values - theta), brute, atol=1e-12)


def test_price_is_monotone():
    rng = np.random.default_rng(3)
    s = rng.normal(size=(30, 25))
    counts = [len(mmcl.match_pairs(s, t)[0]) for t in np.linspace(-5, 5, 21)]
    assert all(a >= b for a, b in zip(counts, counts[1:]))
    assert counts[0] == 25 and counts[-1] == 0


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


def test_high_snr_detection_and_half_partners():
    # r = 8: in a low-dimensional embedding best matches of unrelated samples
    # look almost as good as true pairs
    _, pairs, un = _setting(seed=5, signal=16.0, noise_sd=0.5, m=150, fraction=0.5, d1=20, d2=18, r=8)
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


def test_determinism_under_fixed_seed():
    a, b = _setting(seed=7), _setting(seed=7)
    assert np.array_equal(a[2].Xu, b[2].Xu) and np.array_equal(a[2].truth, b[2].truth)
    fa = mmcl.fit_with_unpaired(a[1].X, a[1].Y, a[2].Xu, a[2].Yu, 3)
    fb = mmcl.fit_with_unpaired(b[1].X, b[1].Y, b[2].Xu, b[2].Yu, 3)
    assert np.array_equal(fa.pairs, fb.pairs) and np.array_equal(fa.G1, fb.G1)
    pa = mmcl.paper_procedure(a[1].X[:50], a[1].Y[:50], a[2].Xu[:50], a[2].Yu[:50], 3, rng=1, epochs=3,
                              unpaired_epochs=2)
    pb = mmcl.paper_procedure(a[1].X[:50], a[1].Y[:50], a[2].Xu[:50], a[2].Yu[:50], 3, rng=1, epochs=3,
                              unpaired_epochs=2)
    assert np.array_equal(pa.G1, pb.G1)


def test_sample_unpaired_truth_shares_latent():
    model, _, un = _setting(noise_sd=0.0, m=40, fraction=0.5)
    Z1, Z2 = un.Xu @ model.U1, un.Yu @ model.U2
    assert un.truth.shape == (20, 2)
    assert np.allclose(Z1[un.truth[:, 0]], Z2[un.truth[:, 1]])
    others = np.setdiff1d(np.arange(40), un.truth[:, 1])
    assert not np.allclose(Z1[un.truth[0, 0]], Z2[others[0]])


def test_oracle_with_no_pairs_is_fit_svd():
    _, pairs, un = _setting()
    fit = mmcl.fit_with_pairs(pairs.X, pairs.Y, un.Xu, un.Yu, np.empty((0, 2), int), 3)
    assert np.allclose(fit.S, mmcl.fit_svd(pairs.X, pairs.Y, 3).S)


@pytest.mark.parametrize("top", [False, True])
def test_paper_gradient_matches_finite_differences(top):
    rng = np.random.default_rng(11)
    G1, G2 = rng.normal(size=(3, 6)), rng.normal(size=(3, 5))
    X, Y = rng.normal(size=(8, 6)), rng.normal(size=(8, 5))
    value, (d1, d2) = mmcl.cosine_clip_loss(G1, G2, X, Y, tau=0.7, top=top)
    h = 1e-6
    for G, dG, k in ((G1, d1, 0), (G2, d2, 1)):
        num = np.zeros_like(G)
        for idx in np.ndindex(G.shape):
            E = np.zeros_like(G)
            E[idx] = h
            args = [(G1 + E, G2), (G1 - E, G2)] if k == 0 else [(G1, G2 + E), (G1, G2 - E)]
            plus = mmcl.cosine_clip_loss(*args[0], X, Y, tau=0.7, top=top)[0]
            minus = mmcl.cosine_clip_loss(*args[1], X, Y, tau=0.7, top=top)[0]
            num[idx] = (plus - minus) / (2 * h)
        assert np.allclose(dG, num, rtol=1e-5, atol=1e-8)


def test_paper_loss_is_clip_on_cosines():
    rng = np.random.default_rng(2)
    G1, G2 = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
    X, Y = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    A = X @ G1.T
    C = Y @ G2.T
    K = (A / np.linalg.norm(A, axis=1, keepdims=True)) @ (C / np.linalg.norm(C, axis=1, keepdims=True)).T
    lse = lambda M, ax: np.log(np.exp(M).sum(axis=ax))
    ref = (lse(K, 1).sum() + lse(K, 0).sum() - 2 * np.trace(K)) / 12
    assert np.isclose(mmcl.cosine_clip_loss(G1, G2, X, Y)[0], ref)
    top = np.sort(K.ravel())[-6:].sum()
    ref_top = (lse(K, 1).sum() + lse(K, 0).sum() - 2 * top) / 12
    assert np.isclose(mmcl.cosine_clip_loss(G1, G2, X, Y, top=True)[0], ref_top)


def test_paper_lanes_with_different_unpaired_sizes():
    _, pairs, un = _setting(m=100)
    X = np.stack([pairs.X[:50]] * 3)
    Y = np.stack([pairs.Y[:50]] * 3)
    fit = mmcl.paper_procedure(X, Y, [un.Xu[:50], un.Xu, un.Xu[:0]], [un.Yu[:50], un.Yu, un.Yu[:0]], 3,
                               rng=0, epochs=2, unpaired_epochs=2)
    assert fit.G1.shape == (3, 3, 12) and np.isfinite(fit.G1).all()
    # a lane without unpaired data ends where its pairs phase ended
    assert np.array_equal(fit.G1[2], fit.G1_pairs[2])
    assert not np.array_equal(fit.G1[1], fit.G1_pairs[1])


def test_decoy_threshold():
    real, decoy = [0.9, 0.85, 0.8, 0.7, 0.1], [0.2, 0.1, 0.0]
    # at t = 0.7 the estimate is (1 + 0 decoys) / 4 discoveries; at t = 0.1 it is (1 + 2) / 5
    assert mmcl.decoy_threshold(real, decoy, 0.3) == np.nextafter(0.7, -np.inf)
    assert mmcl.decoy_threshold(real, decoy, 0.6) == np.nextafter(0.1, -np.inf)
    assert mmcl.decoy_threshold(real, decoy, 0.2) == np.inf
    # a handful of matches with no decoy above them is not enough evidence
    assert mmcl.decoy_threshold([0.9, 0.8], [], 0.1) == np.inf
    assert mmcl.decoy_threshold([0.3, 0.2], [0.9, 0.8], 0.1) == np.inf
    assert mmcl.decoy_threshold([], [], 0.1) == np.inf


def test_retrieval_accuracy_blocks_match_direct_argmax():
    rng = np.random.default_rng(0)
    E1, E2 = rng.normal(size=(700, 4)), rng.normal(size=(700, 4))
    E2 = E1 + 0.8 * E2
    A = E1 / np.linalg.norm(E1, axis=1, keepdims=True)
    B = E2 / np.linalg.norm(E2, axis=1, keepdims=True)
    direct = np.mean(np.argmax(A @ B.T, axis=1) == np.arange(700))
    assert mmcl.retrieval_accuracy(E1, E2) == direct


def test_detection_scores_edge_cases():
    assert mmcl.detection_scores(np.empty((0, 2), int), [[0, 0]]) == (1.0, 0.0)
    assert mmcl.detection_scores([[0, 0]], np.empty((0, 2), int)) == (0.0, 1.0)


# --- bad inputs -------------------------------------------------------------

@pytest.fixture
def data():
    _, pairs, un = _setting()
    return pairs.X, pairs.Y, un.Xu, un.Yu


def test_bad_dimensions(data):
    X, Y, Xu, Yu = data
    with pytest.raises(ValueError, match="Xu"):
        mmcl.fit_with_unpaired(X, Y, Xu[:, :5], Yu, 3)
    with pytest.raises(ValueError, match="Yu"):
        mmcl.fit_with_unpaired(X, Y, Xu, Yu[:, :4], 3)
    with pytest.raises(ValueError, match="same number of rows"):
        mmcl.fit_with_unpaired(X, Y[:-1], Xu, Yu, 3)


def test_empty_unpaired_sets(data):
    X, Y, Xu, Yu = data
    with pytest.raises(ValueError, match="Xu"):
        mmcl.fit_with_unpaired(X, Y, Xu[:0], Yu, 3)
    with pytest.raises(ValueError, match="Yu"):
        mmcl.fit_with_unpaired(X, Y, Xu, Yu[:0], 3)


@pytest.mark.parametrize("q", [0.0, 1.0, 1.5, -0.1])
def test_target_fdr_outside_unit_interval(data, q):
    with pytest.raises(ValueError, match="target_fdr"):
        mmcl.fit_with_unpaired(*data, 3, target_fdr=q)


def test_rank_too_large_and_other_options(data):
    with pytest.raises(ValueError, match="r must be at most"):
        mmcl.fit_with_unpaired(*data, 11)
    with pytest.raises(ValueError, match="theta"):
        mmcl.fit_with_unpaired(*data, 3, theta="automatic")
    with pytest.raises(ValueError, match="theta"):
        mmcl.fit_with_unpaired(*data, 3, theta=np.nan)
    with pytest.raises(TypeError, match="theta"):
        mmcl.fit_with_unpaired(*data, 3, theta=[0.5])
    with pytest.raises(ValueError, match="lam"):
        mmcl.fit_with_unpaired(*data, 3, lam=-1.0)
    with pytest.raises(ValueError, match="rounds"):
        mmcl.fit_with_unpaired(*data, 3, rounds=0)
    with pytest.raises(ValueError, match="Xu"):
        mmcl.fit_with_unpaired(*data[:2], np.full_like(data[2], np.nan), data[3], 3)


def test_assignment_too_large_is_refused(data):
    with pytest.raises(ValueError, match=r"m1 = 80 and m2 = 80.*batch_size"):
        mmcl.fit_with_unpaired(*data, 3, max_assignment_bytes=10_000)
    fit = mmcl.fit_with_unpaired(*data, 3, batch_size=20, max_assignment_bytes=10_000)
    assert fit.G1.shape == (3, 12)
    with pytest.raises(ValueError, match="batch_size"):
        mmcl.fit_with_unpaired(*data, 3, batch_size=80, max_assignment_bytes=10_000)


def test_bad_sampling_and_matching_inputs():
    model = mmcl.make_model(5, 4, 2, rng=0)
    with pytest.raises(TypeError, match="model"):
        mmcl.sample_unpaired("model", 5, rng=0)
    with pytest.raises(ValueError, match="partner_fraction"):
        mmcl.sample_unpaired(model, 5, partner_fraction=1.5, rng=0)
    with pytest.raises(ValueError, match="m1"):
        mmcl.sample_unpaired(model, 0, rng=0)
    with pytest.raises(ValueError, match="batch_size"):
        mmcl.sample_unpaired(model, 10, 8, batch_size=5, rng=0)
    with pytest.raises(ValueError, match="similarity"):
        mmcl.match_pairs(np.ones(3), 0.0)
    with pytest.raises(ValueError, match="pairs"):
        mmcl.fit_with_pairs(np.ones((3, 5)), np.ones((3, 4)), np.ones((2, 5)), np.ones((2, 4)), [[0, 0], [1, 0]], 2)
    with pytest.raises(ValueError, match="tau"):
        mmcl.cosine_clip_loss(np.ones((2, 5)), np.ones((2, 4)), np.ones((3, 5)), np.ones((3, 4)), tau=0.0)
    with pytest.raises(ValueError, match="one array per lane"):
        mmcl.paper_procedure(np.ones((3, 5)), np.ones((3, 4)), [np.ones((2, 5))] * 2, [np.ones((2, 4))] * 2, 2,
                             rng=0)


def test_fit_svd_weights_is_balanced_weighted_linear_loss():
    rng = np.random.default_rng(0)
    X, Y, w = rng.normal(size=(7, 4)), rng.normal(size=(7, 3)), rng.uniform(0.2, 2.0, 7)
    W, D = w.sum(), w.sum() ** 2 - np.sum(w**2)
    beta = np.outer(w, w) / D
    np.fill_diagonal(beta, w * (W - w) / D)
    S = mmcl.contrastive_cross_covariance(X, Y, beta)
    assert np.allclose(S, mmcl.fit_svd(X, Y, 2, weights=w).S)
