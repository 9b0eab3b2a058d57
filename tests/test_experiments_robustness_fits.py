"""mmcl.experiments.robustness_fits: CLIP by gradient descent (and polished) under mismatch."""

import numpy as np

from mmcl.experiments import clip_vs_linear, robustness_model


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


def test_clip_vs_linear_polish():
    """Polished end points are critical points; the samples do not depend on the temperatures."""
    model = robustness_model("structured", coherent=True, d=8, r=2, rng=0)
    options = dict(n=60, epss=[0.3], steps=40, lr=0.1, record_every=20, seeds=2, rng=5)
    both = clip_vs_linear(model, taus=[1.0, 30.0], polish=True, **options)
    one = clip_vs_linear(model, taus=[30.0], **options)
    assert both.polished.shape == (2, 1, 2) and np.isfinite(both.polished).all()
    assert np.isnan(one.polished).all()
    np.testing.assert_array_equal(both.linear, one.linear)
    np.testing.assert_array_equal(both.clip[:, :, 1], one.clip[:, :, 0])
    # at tau * rho = 30 the polished point is close to where gradient descent ended
    assert np.all(np.abs(both.polished[:, 0, 1] - both.clip[:, 0, 1, -1]) < 0.2)
