"""mmcl.experiments.loss_zoo: the latent yardstick and the spectral loss against CCA."""

import numpy as np
import pytest

import mmcl
from mmcl.experiments.loss_zoo import latent_unexplained, spectral_path, spectral_vs_cca


@pytest.fixture(scope="module")
def unequal():
    return mmcl.make_model(
        6, 5, 2, rng=0, signal=[4.0, 2.0], heteroskedasticity=(2.0, 0.0), nuisance_rank=(0, 2)
    )


def test_latent_unexplained_matches_fresh_samples_and_prefers_the_wiener_filter(unequal):
    wiener = np.linalg.solve(unequal.covariance(1), unequal.U1).T
    fresh = unequal.sample(100_000, rng=1)
    E = fresh.X @ wiener.T
    coef = np.linalg.lstsq(E, fresh.Z, rcond=None)[0]
    sampled = np.sum((fresh.Z - E @ coef) ** 2) / np.sum(fresh.Z**2)
    assert latent_unexplained(unequal, wiener) == pytest.approx(sampled, abs=0.01)
    assert latent_unexplained(unequal, wiener) < latent_unexplained(unequal, unequal.U1.T)
    # depends on the row space only; an encoder that sees nothing misses everything
    A = np.array([[2.0, 1.0], [0.0, 3.0]])
    assert latent_unexplained(unequal, A @ wiener) == pytest.approx(
        latent_unexplained(unequal, wiener), abs=1e-12
    )
    null = np.linalg.svd(unequal.U1.T)[2][2:4]  # rows orthogonal to U1 ...
    iso = mmcl.make_model(6, 5, 2, rng=0, signal=4.0)  # ... and isotropic noise
    assert latent_unexplained(iso, null) == pytest.approx(1.0, abs=1e-12)


def test_spectral_vs_cca_shapes_and_agreement(unequal):
    out = spectral_vs_cca(unequal, ns=[300, 1200], seeds=2, rng=0)
    assert out.to_cca.shape == (2, 2) and out.ns.tolist() == [300, 1200]
    assert out.gradient.max() < 1e-7
    assert out.to_cca[:, 1].max() < 0.02 and out.to_sklearn[:, 1].max() < 0.02
    assert out.to_pls.min() > 0.3
    assert (out.product_gap[:, 1] < out.product_gap[:, 0]).all()


def test_spectral_path_moves_from_cca_to_pls(unequal):
    out = spectral_path(unequal, 400, rhos=[0.0, 10.0, 1e4], seeds=2, rng=0)
    assert out.to_cca.shape == out.to_pls.shape == (2, 3)
    assert out.to_cca[:, 0].max() < 0.01 and out.to_pls[:, -1].max() < 0.02
    assert (np.diff(out.to_cca, axis=1) > 0).all() and (np.diff(out.to_pls, axis=1) < 0).all()
