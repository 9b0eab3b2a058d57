"""mmcl.experiments.unpaired: the chapter's problems, the calibration and the matching ceiling."""

import numpy as np
import pytest

from mmcl.experiments.unpaired import fdr_calibration, matching_ceiling, unpaired_problem


def test_unpaired_problem():
    p = unpaired_problem(snr=4.0, fraction=0.5, n=20, m=30, d=8, r=2, rng=0)
    assert p.pairs.X.shape == (20, 8) and p.pairs.Y.shape == (20, 8)
    assert p.unpaired.Xu.shape == p.unpaired.Yu.shape == (30, 8)
    assert p.unpaired.truth.shape == (15, 2)
    np.testing.assert_array_equal(p.model.lam, [4.0, 4.0])
    np.testing.assert_allclose(p.model.noise1.covariance(), np.eye(8))
    again = unpaired_problem(snr=4.0, fraction=0.5, n=20, m=30, d=8, r=2, rng=0)
    np.testing.assert_array_equal(again.unpaired.Xu, p.unpaired.Xu)
    s = unpaired_problem(snr=4.0, fraction=0.5, n=20, m=30, d=8, r=2, rng=0, noise="structured")
    assert s.model.noise1.loading.shape == (8, 3) and s.model.noise2.loading.shape == (8, 3)
    np.testing.assert_allclose(np.linalg.norm(s.model.noise1.loading, axis=0), 3.0)


def test_fdr_calibration():
    out = fdr_calibration(targets=[0.05, 0.3], seeds=3, rng=0, m=200)
    assert out.fdp.shape == out.detected.shape == out.recall.shape == (2, 3)
    assert np.all((out.fdp >= 0) & (out.fdp <= 1))
    assert np.all(out.detected <= 200) and np.all(out.detected > 0)
    # A looser target buys at least as many pairs in every run.
    assert np.all(out.detected[1] >= out.detected[0])
    none = fdr_calibration(targets=[0.1], seeds=2, rng=0, snr=0.5, m=60)
    np.testing.assert_array_equal(none.fdp[none.detected == 0], 0.0)


def test_matching_ceiling_against_simulation():
    """The closed-form null (Beta law of a uniform direction) matches a simulation."""
    out = matching_ceiling(ms=[20, 500], snrs=[8.0], r=6, rng=0)
    rng = np.random.default_rng(1)
    for k, m in enumerate([20, 500]):
        q = rng.standard_normal((2000, 6))
        c = rng.standard_normal((2000, m, 6))
        cos = np.einsum("ik,imk->im", q, c) / (
            np.linalg.norm(q, axis=1)[:, None] * np.linalg.norm(c, axis=2)
        )
        assert np.median(cos.max(axis=1)) == pytest.approx(out.null_median[k], abs=0.01)
    assert out.ceiling.shape == (1, 2) and out.ceiling[0, 1] < out.ceiling[0, 0]
    assert 0.8 < out.true_median[0] < 1.0
