"""mmcl.spikes: counting the spikes of a sample covariance, whitening inside them."""

import numpy as np
import pytest
from scipy import integrate, optimize

import mmcl
from mmcl.spikes import TRACY_WIDOM_999, marchenko_pastur_median


def _median_by_quadrature(gamma):
    a, b = (1 - np.sqrt(gamma)) ** 2, (1 + np.sqrt(gamma)) ** 2

    def density(x):
        return np.sqrt(max((b - x) * (x - a), 0.0)) / (2 * np.pi * gamma * x)

    return optimize.brentq(lambda t: integrate.quad(density, a, t, limit=200)[0] - 0.5, a, b)


@pytest.mark.parametrize("gamma", [0.01, 0.1, 0.3, 0.7, 0.95])
def test_marchenko_pastur_median(gamma):
    assert marchenko_pastur_median(gamma) == pytest.approx(_median_by_quadrature(gamma), rel=1e-6)


def test_spike_count_on_known_spectra():
    # The Marchenko-Pastur edge for d = 40, dof = 400 is about (1 + sqrt(0.1))^2 = 1.73.
    bulk = np.linspace(0.5, 1.6, 37)
    count = mmcl.spike_count(np.r_[9.0, 5.0, 2.5, bulk], 400, 1)
    assert (count.k, count.above) == (3, 3)
    assert 0.9 < count.noise_variance < 1.2 and 1.7 < count.edge < 2.3
    # Never fewer than r, but `above` tells the truth.
    assert mmcl.spike_count(np.r_[9.0, bulk, 1.0, 1.0], 400, 5).k == 5
    assert mmcl.spike_count(np.r_[9.0, bulk, 1.0, 1.0], 400, 5).above == 1
    # Scale invariance: eigenvalues times c, same count, noise variance times c.
    scaled = mmcl.spike_count(100.0 * np.r_[9.0, 5.0, 2.5, bulk], 400, 1)
    assert scaled.k == 3 and scaled.noise_variance == pytest.approx(100 * count.noise_variance)
    # No bulk to calibrate on: k = r.
    few = mmcl.spike_count(np.r_[9.0, 5.0, 1.0], 2, 1)
    assert few.k == 1 and np.isnan(few.edge)
    # A larger margin never counts more spikes.
    assert mmcl.spike_count(np.r_[9.0, 5.0, 1.75, bulk], 400, 1, margin=30.0).k <= count.k


def test_pure_noise_has_no_spikes_beyond_r():
    """Isotropic Gaussian noise: the 99.9% Tracy-Widom margin keeps false spikes rare."""
    rng = np.random.default_rng(0)
    above = [
        mmcl.spike_count(np.linalg.eigvalsh(np.cov(rng.normal(size=(300, 40)).T)), 299, 1).above
        for _ in range(40)
    ]
    assert max(above) == 0
    assert TRACY_WIDOM_999 == pytest.approx(3.27, abs=0.01)


def test_structured_noise_counts_signal_plus_nuisance():
    model = mmcl.make_model(
        40, 40, 10, rng=0, signal=8.0, noise_sd=1.0, nuisance_rank=3, nuisance_strength=3.0
    )
    X = np.vstack([model.sample(40, rng=1).X, mmcl.sample_unpaired(model, 1600, rng=2).Xu])
    w = mmcl.spiked_whitener(X, 10)
    assert w.k == 13
    np.testing.assert_allclose(np.cov(w.transform(X).T), np.eye(13), atol=1e-10)
    np.testing.assert_allclose(w.V.T @ w.V, np.eye(13), atol=1e-12)
    assert mmcl.spiked_whitener(X, 10, n_spikes=11).k == 11
    reduced = mmcl.spiked_whitener(X, 10, whiten=False)
    np.testing.assert_allclose(reduced.W, reduced.V.T)


def test_noise_free_data_count_only_their_rank():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 12))
    assert mmcl.spiked_whitener(X, 2).k == 3


def test_forced_spike_count_needs_positive_variance():
    X = np.random.default_rng(4).normal(size=(50, 3)) @ np.eye(3, 6)
    with pytest.raises(ValueError, match="n_spikes"):
        mmcl.spiked_whitener(X, 2, n_spikes=5)
