"""mmcl.yardsticks: loadings against weights, and the latent variance an embedding explains."""

import numpy as np
import pytest

import mmcl


def _model(**kw):
    return mmcl.make_model(20, 20, 3, rng=0, signal=[9.0, 4.0, 1.0], noise_sd=1.0, **kw)


def test_loading_of_a_whitened_encoder_spans_U():
    model = _model(nuisance_rank=2)
    cov = model.covariance(1)
    G = model.U1.T @ np.linalg.inv(cov)  # the rows of E[z | x], up to Lambda
    assert mmcl.sin_theta(G.T, model.U1) > 0.1  # weights: not U1
    assert mmcl.loading_sin_theta(G, model.U1, cov) < 1e-10  # loadings: exactly U1


def test_unexplained_latent_variance_population_and_fresh_samples():
    model = _model()
    for G in (model.U1.T, np.random.default_rng(1).normal(size=(3, 20))):
        population = mmcl.unexplained_latent_variance(G, model)
        fresh = mmcl.unexplained_latent_variance(G, model, n_test=40_000, rng=2)
        assert 0 < population < 1 and fresh == pytest.approx(population, abs=0.01)
    # E[z | x] is the best possible encoder; any other (here U1^T) is no better.
    best = mmcl.unexplained_latent_variance(model.U1.T @ np.linalg.inv(model.covariance(1)), model)
    assert best <= mmcl.unexplained_latent_variance(model.U1.T, model) + 1e-12
    # Invariant to invertible changes of the embedding coordinates.
    A = np.random.default_rng(3).normal(size=(3, 3))
    assert mmcl.unexplained_latent_variance(A @ model.U1.T, model) == pytest.approx(
        mmcl.unexplained_latent_variance(model.U1.T, model)
    )
    assert mmcl.unexplained_latent_variance(model.U2.T, model, modality=2) == pytest.approx(
        mmcl.unexplained_latent_variance(model.U1.T, model)
    )
