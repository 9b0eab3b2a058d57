"""mmcl.experiments.loss_to_svd_threshold: the tau * rho above which CLIP selects the top r."""

import numpy as np
import pytest

from mmcl.experiments.loss_to_svd import chapter_sample
from mmcl.experiments.loss_to_svd_threshold import SelectionThresholds, selection_thresholds


@pytest.fixture(scope="module")
def small():
    X, Y, _ = chapter_sample(60, rng=0, signal=(6.0, 3.0))
    return X, Y


def test_selection_thresholds_brackets_a_change_of_selection(small):
    X, Y = small
    out = selection_thresholds([(X, Y)], 2, rng=0, low=0.1, high=100.0, iters=3, steps=60)
    assert isinstance(out, SelectionThresholds)
    for name in ("tau_rho", "noise_scale", "signal_scale", "gap_scale", "snr"):
        assert getattr(out, name).shape == (1,), name
    assert out.bracket.shape == (1, 2)
    lo, hi = out.bracket[0]
    assert lo < out.tau_rho[0] < hi
    # three halvings of the log range leave a bracket of (high / low) ** (1 / 8)
    assert hi / lo == pytest.approx(1000.0 ** (1 / 8))
    # the scales are those of the data
    n = X.shape[0]
    nu = [np.median(np.linalg.eigvalsh(M.T @ M / (n - 1))) for M in (X, Y)]
    assert out.noise_scale[0] == pytest.approx(nu[0] * nu[1])
    assert out.snr[0] > 1


def test_selection_thresholds_follow_the_units_law(small):
    """Data in units c times larger select the same triples at c^4 times tau * rho."""
    X, Y = small
    one = selection_thresholds([(X, Y)], 2, rng=1, low=0.1, high=100.0, iters=2, steps=60)
    both = selection_thresholds([(2 * X, 2 * Y)], 2, rng=1, low=0.1, high=100.0, iters=2, steps=60)
    np.testing.assert_allclose(both.bracket, 16 * one.bracket, rtol=1e-9)
    np.testing.assert_allclose(both.noise_scale, 16 * one.noise_scale, rtol=1e-9)


def test_selection_thresholds_nan_outside_the_search_range(small):
    X, Y = small
    # At tau * rho of at least 50 nu_x nu_y the top r is selected at both ends.
    out = selection_thresholds([(X, Y)], 2, rng=0, low=50.0, high=100.0, iters=1, steps=60)
    assert np.isnan(out.tau_rho[0]) and np.isnan(out.bracket).all()
