"""mmcl.experiments.loss_zoo_fits: fixed points of the nonlinear losses, and the side by side."""

import numpy as np
import pytest

import mmcl
from mmcl.experiments.loss_to_svd import chapter_sample
from mmcl.experiments.loss_zoo_fits import (
    METHODS,
    comparison_losses,
    fixed_points,
    side_by_side,
)


def test_fixed_points_are_svds_of_their_own_weighted_cross_covariance():
    X, Y, model = chapter_sample(60, rng=0)
    losses = [mmcl.infonce_loss(1.0, rho=10.0), mmcl.siglip_loss(2.0, -3.0, rho=4.0)]
    out = fixed_points(X, Y, 3, losses, rng=1, steps=30, truth=model.U1)
    assert out.names == tuple(f.name for f in losses)
    assert out.G1.shape == (2, 3, 12) and out.selected.shape == (2, 3)
    assert out.residual.max() < 1e-6 and out.gradient.max() < 1e-8
    np.testing.assert_allclose(np.sort(out.coefficients, axis=1)[:, -3:], 1.0, atol=1e-5)
    assert np.isfinite(out.error).all()
    assert np.isnan(fixed_points(X, Y, 3, losses[:1], rng=1, steps=5).error).all()


def test_comparison_losses_share_one_dimensionless_regularisation():
    losses = comparison_losses(101, rho=2.0)
    assert losses["InfoNCE"].tau * losses["InfoNCE"].rho == 2.0
    sig = losses["SigLIP"]
    assert sig.rho / sig.t**2 == 2.0 and sig.b == pytest.approx(-np.log(100))


def test_side_by_side_shapes_and_properties():
    model = mmcl.make_model(5, 4, 2, rng=0, signal=4.0)
    out = side_by_side(model, 40, epss=[0.0, 0.5], seeds=2, rng=1, steps=10)
    assert out.methods == METHODS and out.error.shape == (2, 2, len(METHODS))
    assert out.unexplained.shape == out.wrong_weight.shape == out.selected_top.shape
    assert ((out.unexplained >= 0) & (out.unexplained <= 1)).all()
    pca = METHODS.index("PCA")
    # PCA sees one modality only: mismatch cannot change it
    np.testing.assert_allclose(out.error[:, 0, pca], out.error[:, 1, pca])
    assert np.isnan(out.wrong_weight[:, 0]).all()  # no wrong pairs at eps = 0
    nonlinear = [METHODS.index("InfoNCE"), METHODS.index("SigLIP")]
    assert np.isfinite(out.wrong_weight[:, 1, nonlinear]).all()
    assert out.selected_top[:, :, : METHODS.index("InfoNCE")].all()  # closed forms
