"""Tests for the helpers of the chapter *From contrastive loss to SVD*."""

import numpy as np
import pytest

import mmcl


@pytest.fixture
def centred(rng):
    model = mmcl.make_model(6, 5, 2, rng=rng, signal=[4.0, 2.0], noise_sd=1.0)
    s = model.sample(40, rng=rng)
    return s.X - s.X.mean(0), s.Y - s.Y.mean(0)


def test_selection_grid_shapes_and_critical_points(centred):
    X, Y = centred
    grid = mmcl.selection_grid(X, Y, 2, [0.5, 2.0], [0.2, 1.0], rng=0)
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


def test_selection_grid_matches_direct_run(centred):
    X, Y = centred
    grid = mmcl.selection_grid(X, Y, 2, [1.0], [0.5], rng=3, steps=80)
    init_rng = np.random.default_rng(3)
    init = (1e-2 * init_rng.standard_normal((2, 6)), 1e-2 * init_rng.standard_normal((2, 5)))
    loss = mmcl.clip_loss(1.0, 0.5)
    gd = mmcl.fit_gd(X, Y, 2, loss, steps=80, lr=0.1, rng=0, init=init)
    end = mmcl.polish(X, Y, loss, (gd.G1, gd.G2))
    M = grid.G1[0, 0].T @ grid.G2[0, 0]
    np.testing.assert_allclose(M, end.G1.T @ end.G2, atol=1e-8)
    np.testing.assert_allclose(grid.S[0, 0], loss.cross_covariance(end.G1, end.G2, X, Y), atol=1e-8)


@pytest.mark.parametrize("kwargs, match", [
    (dict(taus=[1.0, -1.0]), "taus"),
    (dict(taus=[]), "taus"),
    (dict(rhos=[0.0]), "rhos"),
    (dict(rhos=[[1.0]]), "rhos"),
    (dict(r=9), "r"),
    (dict(steps=-1), "steps"),
    (dict(init_scale=0.0), "init_scale"),
    (dict(rng="seed"), "rng"),
])
def test_selection_grid_bad_input(centred, kwargs, match):
    X, Y = centred
    args = dict(r=1, taus=[1.0], rhos=[1.0], rng=0) | kwargs
    with pytest.raises((ValueError, TypeError), match=match):
        mmcl.selection_grid(X, Y, args.pop("r"), args.pop("taus"), args.pop("rhos"), **args)


def test_selection_grid_bad_data(centred):
    X, Y = centred
    with pytest.raises(ValueError, match="same number of rows"):
        mmcl.selection_grid(X, Y[:-1], 1, [1.0], [1.0], rng=0)


def test_chapter_figures_draw(centred):
    import matplotlib.pyplot as plt
    from mmcl import plots

    X, Y = centred
    grid = mmcl.selection_grid(X, Y, 2, [1.0, 5.0], [0.5], rng=0)
    steps = np.arange(5)
    figs = [
        plots.gd_convergence(steps, np.logspace(0, -4, 5), np.logspace(0, -3, 5)),
        plots.power_phase(steps, {"CLIP": np.linspace(1, 0.2, 5), "linear": np.linspace(1, 0.1, 5)},
                          np.logspace(-3, 1, 5)),
        plots.selection_coefficients({"a": grid.coefficients[0, 0], "b": grid.coefficients[1, 0]}),
        plots.selection_map(grid.selected, grid.taus, grid.rhos, 5, np.ones((2, 1)), 0.5),
        plots.beta_heatmaps([mmcl.clip_loss(t).weights(grid.G1[0, 0], grid.G2[0, 0], X, Y) for t in (0.5, 2.0)],
                            [0.5, 2.0], n_show=10),
    ]
    for fig in figs:
        assert fig.axes
        plt.close(fig)


def test_loss_to_svd_explorer(centred):
    import matplotlib.pyplot as plt
    from mmcl import widgets

    X, Y = centred
    grid = mmcl.selection_grid(X, Y, 2, [1.0, 2.0], [0.2, 1.0], rng=0)
    explorer = widgets.loss_to_svd(X, Y, grid)
    assert widgets.EXPLORERS["loss_to_svd"] is widgets.loss_to_svd
    data = explorer.compute(tau=2.0, rho=1.0)
    np.testing.assert_allclose(data["beta"], mmcl.clip_loss(2.0, 1.0).weights(grid.G1[1, 1], grid.G2[1, 1], X, Y))
    np.testing.assert_array_equal(data["selected"], grid.selected[1, 1])
    np.testing.assert_allclose(data["linear_singular_values"],
                               np.linalg.svd(mmcl.linear_cross_covariance(X, Y), compute_uv=False))
    fig = explorer.figure(tau=1.0, rho=0.2)
    assert len(fig.axes) >= 2
    plt.close(fig)


def test_loss_to_svd_explorer_bad_input(centred):
    from mmcl import widgets

    X, Y = centred
    grid = mmcl.selection_grid(X, Y, 1, [1.0], [1.0], rng=0)
    with pytest.raises(ValueError, match="grid"):
        widgets.loss_to_svd(grid=grid)
    with pytest.raises(TypeError, match="grid"):
        widgets.loss_to_svd(X, Y, grid="not a grid")
    with pytest.raises(ValueError, match="grid"):
        widgets.loss_to_svd(X[:, :4], Y, grid)
