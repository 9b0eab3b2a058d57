"""mmcl.experiments.sampling: batches with shared draws for every eps, and running sums."""

import numpy as np
import pytest

import mmcl
from mmcl.experiments import robustness_model, sample_batch, sampling
from mmcl.experiments.sampling import Batch, RunningSums


def test_sample_batch_matches_model_distribution():
    model = robustness_model("structured", True, d=12, r=2, rng=0)
    b = sample_batch(model, 2, 40_000, rng=1)
    assert b.X.shape == (2, 40_000, 12) and b.Z.shape == b.Zp.shape == (2, 40_000, 2)
    assert b.u.shape == (2, 40_000) and b.Xi2.shape == (2, 40_000, 12)
    X = b.X.reshape(-1, 12)
    assert (
        np.abs(np.cov(X, rowvar=False) - model.covariance(1)).max()
        < 0.05 * model.covariance(1).max()
    )
    eps = 0.4
    Y = b.Y(model, eps).reshape(-1, 12)
    assert (
        np.abs(np.cov(Y, rowvar=False) - model.covariance(2)).max()
        < 0.05 * model.covariance(2).max()
    )
    assert np.abs(X.T @ Y / X.shape[0] - model.cross_covariance(eps)).max() < 0.1


def test_batch_breaks_nested_sets_of_pairs():
    """Y(eps) keeps the pairs with u >= eps; a pair broken at eps stays broken at any larger eps."""
    model = robustness_model("isotropic", False, d=6, r=2, rng=0)
    b = sample_batch(model, 3, 50, rng=2)
    Y0, Y3, Y7, Y1 = (b.Y(model, e) for e in (0.0, 0.3, 0.7, 1.0))
    np.testing.assert_allclose(Y0, b.Z @ model.U2.T + b.Xi2)
    np.testing.assert_allclose(Y1, b.Zp @ model.U2.T + b.Xi2)
    same3, same7 = np.all(Y3 == Y0, axis=-1), np.all(Y7 == Y0, axis=-1)
    np.testing.assert_array_equal(same3, b.u >= 0.3)
    assert np.all(same3 | ~same7)  # kept at 0.7 implies kept at 0.3
    assert (~same7).sum() > (~same3).sum() > 0


def _assembled(model, batches, eps):
    X = np.concatenate([b.X for b in batches], axis=1)
    Y = np.concatenate([b.Y(model, eps) for b in batches], axis=1)
    return X, Y


def test_running_sums_give_the_statistics_of_the_whole_sample():
    model = robustness_model("structured", True, d=8, r=2, rng=0)
    epss = [0.0, 0.25, 0.5, 1.0]
    batches = [sample_batch(model, 2, n, rng=s) for s, n in enumerate((30, 1, 50))]
    sums = RunningSums(model, 2, epss, augmentations=2)
    for b in batches:
        sums.add(b, np.random.default_rng(9))
    assert sums.n == 81
    S = sums.mmcl_S()
    assert S.shape == (2, 4, 8, 8)
    for j, eps in enumerate(epss):
        X, Y = _assembled(model, batches, eps)
        for s in range(2):
            np.testing.assert_allclose(
                S[s, j], 80 * mmcl.linear_cross_covariance(X[s], Y[s]), atol=1e-9
            )
    X, _ = _assembled(model, batches, 0.0)
    for s in range(2):
        np.testing.assert_allclose(sums.covariance()[s], np.cov(X[s], rowvar=False), atol=1e-10)


def test_running_sums_do_not_depend_on_how_the_sample_is_cut():
    model = robustness_model("heteroskedastic", True, d=6, r=2, rng=0)
    b = sample_batch(model, 2, 40, rng=3)
    whole = RunningSums(model, 2, [0.2, 0.6], augmentations=1)
    whole.add(b, np.random.default_rng(0))
    pieces = RunningSums(model, 2, [0.2, 0.6], augmentations=1)
    for sl in (slice(0, 7), slice(7, 40)):
        pieces.add(
            Batch(X=b.X[:, sl], Z=b.Z[:, sl], Zp=b.Zp[:, sl], u=b.u[:, sl], Xi2=b.Xi2[:, sl]),
            np.random.default_rng(1),
        )
    np.testing.assert_allclose(pieces.mmcl_S(), whole.mmcl_S(), atol=1e-10)
    np.testing.assert_allclose(pieces.covariance(), whole.covariance(), atol=1e-12)


def test_running_sums_masked_views_average_to_their_expectation():
    """Averaged over masks, the views' cross-covariance is (Sh - diag Sh)/4 + diag(Sh)/(4n)."""
    model = robustness_model("isotropic", False, d=3, r=1, rng=0)
    b = sample_batch(model, 1, 12, rng=4)
    sums = RunningSums(model, 1, [0.0], augmentations=20_000)
    sums.add(b, np.random.default_rng(5))
    Sh = np.cov(b.X[0], rowvar=False)
    expected = 0.25 * (Sh - np.diag(np.diag(Sh))) + np.diag(np.diag(Sh)) / (4 * 12)
    masked = sums.masked_S()[0]
    np.testing.assert_allclose(masked, masked.T)
    np.testing.assert_allclose(masked, expected, atol=0.03 * np.abs(Sh).max())


def test_batch_without_modality_2_noise():
    model = robustness_model("isotropic", False, d=5, r=2, rng=0)
    b = sample_batch(model, 2, 7, rng=0, noise2=False)
    assert b.Xi2 is None and b.X.shape == (2, 7, 5)
    with pytest.raises(ValueError, match="noise2=False"):
        b.Y(model, 0.5)
    with pytest.raises(TypeError, match="noise2"):
        sample_batch(model, 2, 7, rng=0, noise2="no")


def test_running_sums_masked_views_are_the_views_of_the_signs():
    """masked_S is the symmetrised cross-covariance of the views a*x and (1-a)*x of its masks."""
    model = robustness_model("structured", True, d=6, r=2, rng=0)
    b = sample_batch(model, 2, 30, rng=1)
    sums = RunningSums(model, 2, [0.0], augmentations=2)
    sums.add(b, np.random.default_rng(4))
    rng = np.random.default_rng(4)  # the same masks: b carries Xi2, so rng draws masks only
    C = np.zeros((2, 6, 6))
    for _ in range(2):
        F = sampling._random_signs(b.X, rng)
        V, W = 0.5 * (b.X + F), 0.5 * (b.X - F)
        np.testing.assert_array_equal(V * W, 0.0)  # each coordinate goes to one view
        np.testing.assert_array_equal(np.abs(F), np.abs(b.X))
        for s in range(2):
            Vc, Wc = V[s] - V[s].mean(axis=0), W[s] - W[s].mean(axis=0)
            C[s] += Vc.T @ Wc / (2 * 29)
    np.testing.assert_allclose(sums.masked_S(), 0.5 * (C + np.swapaxes(C, 1, 2)), atol=1e-12)


def test_running_sums_draw_modality_2_sums_from_their_law():
    """Without Xi2 rows, [X 1]^T Xi2 is drawn given X with covariance [X 1]^T [X 1] (x) Sigma_2."""
    model = mmcl.make_model(
        3, 2, 1, rng=0, signal=1.0, heteroskedasticity=(0.0, 1.0), nuisance_rank=(0, 1)
    )
    seeds, rows = 40_000, 6
    X = np.broadcast_to(np.random.default_rng(1).normal(size=(rows, 3)), (seeds, rows, 3))
    Z = np.zeros((seeds, rows, 1))
    sums = RunningSums(model, seeds, [0.0], augmentations=1)
    sums.add(Batch(X=X, Z=Z, Zp=Z, u=np.ones((seeds, rows)), Xi2=None), np.random.default_rng(2))
    M = np.concatenate([sums.XXi, sums.sxi[:, None, :]], axis=1)  # (seeds, 4, 2)
    X1 = np.hstack([X[0], np.ones((rows, 1))])
    expected = np.einsum("ac,be->abce", X1.T @ X1, model.noise2.covariance())
    empirical = np.einsum("sab,sce->abce", M, M) / seeds
    np.testing.assert_allclose(M.mean(axis=0), 0.0, atol=5 * np.sqrt(expected.max() / seeds))
    np.testing.assert_allclose(empirical, expected, atol=6 * expected.max() * np.sqrt(2 / seeds))


def test_running_sums_gram_is_S_times_its_transpose():
    """mmcl_gram = S S^T at every eps, also for a U2 without orthonormal columns."""
    model = robustness_model("structured", True, d=7, r=2, rng=0)
    skewed = mmcl.TwoModalityModel(
        U1=model.U1,
        U2=model.U2 @ np.array([[2.0, 0.5], [0.0, 0.7]]),
        lam=model.lam,
        noise1=model.noise1,
        noise2=model.noise2,
    )
    for m in (model, skewed):
        sums = RunningSums(m, 2, [0.0, 0.4, 1.0], augmentations=1)
        sums.add(sample_batch(m, 2, 60, rng=3, noise2=False), np.random.default_rng(0))
        S = sums.mmcl_S()
        np.testing.assert_allclose(
            sums.mmcl_gram(), S @ np.swapaxes(S, 2, 3), rtol=1e-12, atol=1e-9
        )
