"""mmcl.experiments.unpaired_gain: what detected pairs buy, and the explorer's view."""

import numpy as np

import mmcl
from mmcl.experiments.unpaired import unpaired_problem
from mmcl.experiments.unpaired_gain import explorer_view, unpaired_gain


def test_unpaired_gain():
    out = unpaired_gain(ms=[10, 40], seeds=3, rng=0, n=10, d=8, r=2, snr=16.0)
    assert out.algorithm.shape == out.oracle.shape == out.pairs_only.shape == (3, 2)
    np.testing.assert_array_equal(out.ms, [10, 40])
    # pairs_only does not depend on m (the pairs are drawn before the unpaired samples).
    np.testing.assert_allclose(out.pairs_only[:, 0], out.pairs_only[:, 1])
    # The oracle knows the true pairs: more of them help it, and it beats the pairs alone.
    assert out.oracle[:, 1].mean() < out.oracle[:, 0].mean() < out.pairs_only[:, 0].mean()
    assert np.all(
        (out.precision >= 0) & (out.precision <= 1) & (out.recall >= 0) & (out.recall <= 1)
    )
    one = unpaired_gain(ms=[40], seeds=3, rng=0, n=10, d=8, r=2, snr=16.0)
    np.testing.assert_array_equal(one.algorithm[:, 0], out.algorithm[:, 1])


def test_explorer_view_matches_the_fits_it_reports():
    view = explorer_view(snr=16.0, fraction=0.5, m=80, target_fdr=0.2, rng=0, n=40, d=20, r=6)
    p = unpaired_problem(snr=16.0, fraction=0.5, n=40, m=80, d=20, r=6, rng=0)
    X, Y, un = p.pairs.X, p.pairs.Y, p.unpaired
    fit = mmcl.fit_with_unpaired(X, Y, un.Xu, un.Yu, 6, target_fdr=0.2, rounds=5)
    assert view.theta == fit.theta
    assert (view.precision, view.recall) == mmcl.detection_scores(fit.pairs, un.truth)
    expected = [
        mmcl.sin_theta(f.G1.T, p.model.U1)
        for f in (
            mmcl.fit_svd(X, Y, 6),
            fit,
            mmcl.fit_with_pairs(X, Y, un.Xu, un.Yu, 6, pairs=un.truth),
        )
    ]
    np.testing.assert_allclose(view.errors, expected)
    # Every sample is assigned in the best assignment; at most the 40 hidden pairs are true.
    assert view.true_cos.size + view.false_cos.size == 80
    assert 0 < view.true_cos.size <= 40 and view.recall > 0
    assert np.all(np.abs(np.concatenate([view.true_cos, view.false_cos])) <= 1 + 1e-12)
    # At this SNR the true pairs are the most similar.
    assert np.median(view.true_cos) > np.median(view.false_cos)
