"""mmcl.experiments.robustness_fits: CLIP by gradient descent, and the digit halves."""

import numpy as np
import pytest

from mmcl.experiments import clip_vs_linear, digits_sweep, robustness_model


def test_clip_vs_linear_shapes_and_shared_start():
    model = robustness_model("isotropic", False, d=6, r=2, rng=0)
    out = clip_vs_linear(
        model, n=60, epss=[0.0, 0.5], taus=[1.0, 10.0], steps=20, record_every=10, seeds=2, rng=0
    )
    assert out.clip.shape == (2, 2, 2, 3) and out.linear.shape == (2, 2)
    np.testing.assert_array_equal(out.steps, [0, 10, 20])
    assert np.all(out.clip >= 0) and np.all(out.clip <= np.sqrt(2) + 1e-9)
    # Every temperature starts from the same small random point.
    np.testing.assert_array_equal(out.clip[:, :, 0, 0], out.clip[:, :, 1, 0])
    # The temperatures do not change the samples: a run with one of them gives the same numbers.
    one = clip_vs_linear(
        model, n=60, epss=[0.0, 0.5], taus=[10.0], steps=20, record_every=10, seeds=2, rng=0
    )
    np.testing.assert_array_equal(one.linear, out.linear)
    np.testing.assert_allclose(one.clip[:, :, 0], out.clip[:, :, 1], rtol=1e-12)


def test_clip_at_high_temperature_tracks_the_linear_loss():
    """For large tau CLIP's weights are the linear loss's, so long training reaches its error."""
    model = robustness_model("isotropic", False, d=6, r=2, rng=0, signal=8.0)
    out = clip_vs_linear(
        model,
        n=100,
        epss=[0.0],
        taus=[1e4],
        rho=1.0,
        steps=150,
        lr=0.1,
        record_every=150,
        seeds=2,
        rng=1,
    )
    assert np.all(out.clip[:, 0, 0, 0] > 0.5)
    np.testing.assert_allclose(out.clip[:, 0, 0, -1], out.linear[:, 0], atol=1e-3)


# --- the digits ---------------------------------------------------------------------


def test_digits_sweep():
    out = digits_sweep(epss=[0.0, 1.0], r=10, seeds=2, rng=0, test_size=300)
    assert out.probe_mmcl.shape == out.retrieval.shape == (2, 2)
    assert out.probe_pca.shape == out.probe_unimodal_cl.shape == out.probe_raw.shape == (2,)
    assert out.chance == pytest.approx(1 / 300)
    np.testing.assert_array_equal(out.eps, [0.0, 1.0])
    # With matched pairs the halves are found far above chance; with every pair broken, not.
    assert np.all(out.retrieval[:, 0] > 5 * out.chance)
    assert np.all(out.retrieval[:, 1] < out.retrieval[:, 0])
    assert np.all(out.probe_mmcl > 0.6) and np.all(out.probe_raw > 0.7)
