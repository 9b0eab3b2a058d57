"""mmcl.cleaning: posterior weights against a shuffled-pair null, and the hard filter."""

import numpy as np
import pytest

import mmcl


@pytest.fixture(scope="module")
def mismatched():
    model = mmcl.make_model(12, 10, 3, rng=0, signal=8.0, noise_sd=1.0)
    sample = model.sample(400, eps=0.5, rng=1)
    return model, sample


def test_weights_are_probabilities_and_rank_true_pairs_first(mismatched):
    model, s = mismatched
    fit = mmcl.clean_pairs(s.X, s.Y, 3, rounds=3, rng=2)
    assert fit.weights.shape == (400,) and fit.G1.shape == (3, 12) and fit.G2.shape == (3, 10)
    assert np.all((fit.weights >= 0) & (fit.weights <= 1))
    assert fit.weights[s.matched].mean() > fit.weights[~s.matched].mean() + 0.4
    assert fit.scores.shape == (3, 400) and fit.null_scores.shape == (3, 5 * 400)
    assert abs(fit.pi0[-1] - 0.5) < 0.1
    keep_all = mmcl.fit_svd(s.X, s.Y, 3)
    assert mmcl.sin_theta(fit.G1.T, model.U1) < mmcl.sin_theta(keep_all.G1.T, model.U1)


def test_equals_fit_svd_when_every_score_is_far_above_the_null():
    # Both modalities see the same two latents (tiny noise): every true pair has cosine ~1, the
    # shuffled pairs spread around 0, so no pair scores below the null's median, pi0 = 0 and
    # every weight is exactly 1.
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((80, 2)) * [2.0, 1.0]
    X = np.hstack([Z, 1e-6 * rng.standard_normal((80, 1))])
    Y = np.hstack([Z, 1e-6 * rng.standard_normal((80, 2))])
    fit = mmcl.clean_pairs(X, Y, 2, rounds=2, rng=4)
    plain = mmcl.fit_svd(X, Y, 2)
    assert fit.scores.min() > 0.99 and np.all(fit.pi0 == 0)
    np.testing.assert_array_equal(fit.weights, np.ones(80))
    np.testing.assert_allclose(fit.G1.T @ fit.G2, plain.G1.T @ plain.G2, atol=1e-12)


def test_result_does_not_depend_on_the_order_of_the_rows(mismatched):
    _, s = mismatched
    order = np.random.default_rng(5).permutation(400)
    a = mmcl.clean_pairs(s.X, s.Y, 2, rounds=2, rng=6)
    b = mmcl.clean_pairs(s.X[order], s.Y[order], 2, rounds=2, rng=6)
    np.testing.assert_allclose(b.weights, a.weights[order], atol=1e-10)
    np.testing.assert_allclose(b.G1.T @ b.G2, a.G1.T @ a.G2, atol=1e-10)


def test_cca_encoder_and_in_sample_scoring_run(mismatched):
    _, s = mismatched
    fit = mmcl.clean_pairs(s.X, s.Y, 2, encoder="cca", ridge=0.1, rounds=2, folds=1, rng=7)
    assert np.all((fit.weights >= 0) & (fit.weights <= 1))
    assert fit.weights[s.matched].mean() > fit.weights[~s.matched].mean()


@pytest.mark.parametrize("encoder, folds", [("pls", 2), ("cca", 3), ("pls", 1)])
def test_batch_equals_one_problem_at_a_time(mismatched, encoder, folds):
    model, s = mismatched
    other = model.sample(400, eps=0.2, rng=5)
    X, Y = np.stack([s.X, other.X]), np.stack([s.Y, other.Y])
    fits = mmcl.clean_pairs_batch(X, Y, 3, encoder=encoder, folds=folds, rounds=2, rngs=[4, 6])
    for b, seed in enumerate((4, 6)):
        one = mmcl.clean_pairs(X[b], Y[b], 3, encoder=encoder, folds=folds, rounds=2, rng=seed)
        for name in ("weights", "scores", "null_scores", "pi0", "G1", "G2"):
            np.testing.assert_allclose(getattr(fits[b], name), getattr(one, name), atol=1e-10)


def test_weights_rise_with_the_score(mismatched):
    _, s = mismatched
    fit = mmcl.clean_pairs(s.X, s.Y, 3, rounds=2, folds=1, rng=3)
    order = np.argsort(fit.scores[-1], kind="stable")
    assert np.all(np.diff(fit.weights[order]) >= -1e-12)
    assert fit.weights[order[-1]] > fit.weights[order[0]]


def test_filter_pairs_keeps_the_largest_set_meeting_the_target():
    w = np.array([1.0, 0.95, 0.8, 0.7, 0.1])
    # mean lfdr of the top k: 0, 0.025, 0.083, 0.1375, 0.29
    np.testing.assert_array_equal(
        mmcl.filter_pairs(w, target_fdr=0.1), [True, True, True, False, False]
    )
    assert not mmcl.filter_pairs(np.zeros(3), target_fdr=0.5).any()
    assert mmcl.filter_pairs(np.ones(3), target_fdr=0.01).all()
