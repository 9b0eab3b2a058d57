"""mmcl.experiments.loss_to_svd: the chapter's sample, CLIP's power phase, the selection grid."""

import numpy as np
import pytest

import mmcl
from mmcl.experiments.loss_to_svd import chapter_sample, power_phase


@pytest.fixture(scope="module")
def centred():
    model = mmcl.make_model(
        6, 5, 2, rng=np.random.default_rng(20230206), signal=[4.0, 2.0], noise_sd=1.0
    )
    s = model.sample(40, rng=1)
    return s.X - s.X.mean(0), s.Y - s.Y.mean(0)


def test_chapter_sample():
    X, Y, model = chapter_sample(50, rng=0)
    assert X.shape == (50, 12) and Y.shape == (50, 10)
    np.testing.assert_allclose(X.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(Y.mean(0), 0, atol=1e-12)
    np.testing.assert_array_equal(model.lam, [6.0, 4.0, 3.0])
    np.testing.assert_allclose(model.noise1.covariance(), np.eye(12))
    again = chapter_sample(50, rng=0)
    np.testing.assert_array_equal(again[0], X)
    assert not np.array_equal(chapter_sample(50, rng=1)[0], X)


def test_power_phase_follows_the_power_iteration_while_logits_are_small():
    X, Y, model = chapter_sample(80, rng=0)
    steps = 40
    run = power_phase(X, Y, 3, tau=1.0, rho=0.2, lr=0.1, steps=steps, rng=1, truth=model.U1)
    for name in ("to_top", "to_truth", "linear_to_truth", "logit_size", "power_gap"):
        assert getattr(run, name).shape == (steps + 1,), name
    np.testing.assert_array_equal(run.steps, np.arange(steps + 1))
    assert run.G1.shape == (3, 12) and run.G2.shape == (3, 10)
    assert run.power_gap[0] == 0.0
    small = run.logit_size < 0.03
    assert small.sum() >= 5
    assert run.power_gap[small].max() < 5e-3
    # Once the logits are of order one the power iteration (which grows without bound) is
    # left behind.
    assert run.logit_size[-1] > 1 and run.power_gap[-1] > 0.5
    # CLIP and the linear loss start from the same point.
    assert run.to_truth[0] == run.linear_to_truth[0]
    assert np.all((run.to_top >= 0) & (run.to_top <= np.sqrt(3) + 1e-9))


def test_power_phase_end_points():
    """CLIP's end point is fit_gd's; the linear loss's run is on its way to the closed form."""
    X, Y, model = chapter_sample(80, rng=0)
    run = power_phase(X, Y, 3, tau=1.0, rho=0.2, lr=0.1, steps=200, rng=1, truth=model.U1)
    closed = mmcl.sin_theta(mmcl.fit_svd(X, Y, 3, rho=0.2).G1.T, model.U1)
    assert run.linear_to_truth[-1] == pytest.approx(closed, abs=1e-4)
    loss = mmcl.clip_loss(tau=1.0, rho=0.2)
    grad = loss.gradient(run.G1, run.G2, X, Y)
    assert max(np.abs(g).max() for g in grad) < 1e-2  # near a critical point of CLIP
    # Without truth there is nothing to measure against.
    bare = power_phase(X, Y, 3, tau=1.0, rho=0.2, lr=0.1, steps=3, rng=1)
    assert np.isnan(bare.to_truth).all() and np.isnan(bare.linear_to_truth).all()
    np.testing.assert_array_equal(bare.power_gap, run.power_gap[:4])


def test_selection_grid_shapes_and_critical_points(centred):
    X, Y = centred
    grid = mmcl.selection_grid(X, Y, 2, taus=[0.5, 2.0], rhos=[0.2, 1.0], rng=0)
    assert grid.G1.shape == (2, 2, 2, 6) and grid.G2.shape == (2, 2, 2, 5)
    assert grid.S.shape == (2, 2, 6, 5)
    assert grid.singular_values.shape == grid.coefficients.shape == (2, 2, 5)
    assert grid.selected.shape == (2, 2, 2)
    assert np.all(np.diff(grid.singular_values, axis=-1) <= 0)
    assert grid.gradient.max() < 1e-8
    assert grid.residual.max() < 1e-6
    # Selected coefficients are 1, the others 0.
    for a in range(2):
        for b in range(2):
            c = grid.coefficients[a, b]
            mask = np.zeros(c.size, bool)
            mask[grid.selected[a, b]] = True
            np.testing.assert_allclose(c[mask], 1.0, atol=1e-6)
            np.testing.assert_allclose(c[~mask], 0.0, atol=1e-6)


def test_selection_grid_entries_are_critical_points_of_their_own_loss(centred):
    """Each entry is a critical point of CLIP(tau, rho) whose S(beta_hat) is the stored S."""
    X, Y = centred
    grid = mmcl.selection_grid(X, Y, 2, taus=[1.0], rhos=[0.5], rng=3, steps=80)
    loss = mmcl.clip_loss(1.0, 0.5)
    G1, G2 = grid.G1[0, 0], grid.G2[0, 0]
    assert max(np.abs(g).max() for g in loss.gradient(G1, G2, X, Y)) < 1e-8
    np.testing.assert_allclose(grid.S[0, 0], loss.cross_covariance(G1, G2, X, Y), atol=1e-10)
    np.testing.assert_allclose(
        grid.singular_values[0, 0], np.linalg.svd(grid.S[0, 0], compute_uv=False)
    )
    coef, selected, _ = mmcl.spectral_selection(G1, G2, grid.S[0, 0], rho=0.5)
    np.testing.assert_array_equal(selected, grid.selected[0, 0])


def test_selection_grid_point_does_not_depend_on_the_rest_of_the_grid(centred):
    """Every grid point starts from the same initialisation, so a point of a larger grid is the
    point of a one-point grid with the same rng."""
    X, Y = centred
    big = mmcl.selection_grid(X, Y, 2, taus=[2.0, 1.0], rhos=[0.5], rng=3, steps=80)
    one = mmcl.selection_grid(X, Y, 2, taus=[1.0], rhos=[0.5], rng=3, steps=80)
    np.testing.assert_allclose(
        big.G1[1, 0].T @ big.G2[1, 0], one.G1[0, 0].T @ one.G2[0, 0], atol=1e-10
    )
    np.testing.assert_array_equal(big.selected[1, 0], one.selected[0, 0])
    np.testing.assert_array_equal(big.taus, [2.0, 1.0])
