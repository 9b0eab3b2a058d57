"""mmcl.figures: every figure draws on small data; each chapter's explorer computes and draws."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import mmcl
from mmcl.experiments import robustness_model, robustness_sweep
from mmcl.experiments.loss_to_svd_threshold import SelectionThresholds
from mmcl.experiments.loss_zoo_fits import METHODS, SideBySide
from mmcl.experiments.regime_map import regime_map
from mmcl.experiments.robustness_fits import ClipVsLinear
from mmcl.experiments.unpaired import fdr_calibration, matching_ceiling
from mmcl.figures import (
    loss_to_svd,
    loss_to_svd_threshold,
    loss_zoo,
    multiview,
    robustness,
    style,
    unpaired,
)
from mmcl.widgets import Explorer

pytestmark = pytest.mark.usefixtures("close_figures")


def _drawn(fig, *, render=False):
    """Check a figure was drawn; ``render`` also lays it out and renders it (0.5 s a figure, so
    only for the explorers' static views, which the website shows)."""
    assert isinstance(fig, Figure) and fig.axes
    if render:
        fig.canvas.draw()
    return fig


# --- style ----------------------------------------------------------------------


def test_style_helpers():
    matplotlib.rcParams["axes.spines.top"] = True
    style.use_style()
    assert matplotlib.rcParams["axes.spines.top"] is False
    fig, axes = style.figure(2, 1)
    assert axes.shape == (1, 2)
    assert matplotlib.rcParams["axes.spines.top"] is False
    x = np.array([1.0, 10.0, 100.0])
    line = style.band(axes[0, 0], x, np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 5.0]]), label="m")
    np.testing.assert_allclose(line.get_ydata(), [1.5, 2.5, 4.0])
    style.log_ticks(axes[0, 0], x)
    style.heatmap(axes[0, 1], np.eye(3), title="I", label="value")
    _drawn(fig)
    assert set(style.METHOD_COLORS.values()) <= set(style.PALETTE)


def test_a_figure_is_rendered_once_until_it_changes(monkeypatch):
    from IPython.core import pylabtools

    renders = []
    real = pylabtools.print_figure
    monkeypatch.setattr(
        pylabtools, "print_figure", lambda *a, **k: renders.append(1) or real(*a, **k)
    )
    fig, ax = style.figure()
    try:
        ax.plot([1.0, 2.0], [3.0, 4.0])
        first = style._sharp_png(fig)
        assert style._sharp_png(fig) is first and len(renders) == 1
        ax.set_title("changed")  # any change marks the figure stale: rendered anew
        second = style._sharp_png(fig)
        assert len(renders) == 2 and second != first
        assert style._sharp_png(fig) is second and len(renders) == 2
        fig.set_size_inches(3.0, 2.0)  # a new size, a new resolution
        style._sharp_png(fig)
        assert len(renders) == 3
    finally:
        plt.close(fig)


# --- the chapter loss_to_svd ----------------------------------------------------------


@pytest.fixture(scope="module")
def grid_problem():
    s = mmcl.make_model(6, 5, 2, rng=0, signal=[4.0, 2.0]).sample(30, rng=1)
    X, Y = s.X - s.X.mean(0), s.Y - s.Y.mean(0)
    grid = mmcl.selection_grid(X, Y, 2, taus=[1.0, 2.0], rhos=[0.2], rng=0, steps=60)
    return X, Y, grid


def test_loss_to_svd_figures(grid_problem):
    X, Y, grid = grid_problem
    steps = np.arange(5)
    _drawn(loss_to_svd.gd_convergence(steps, np.logspace(0, -4, 5), np.logspace(0, -3, 5)))
    _drawn(
        loss_to_svd.power_phase(
            steps,
            {"CLIP": np.linspace(1, 0.2, 5), "linear": np.linspace(1, 0.1, 5)},
            np.logspace(-3, 1, 5),
        )
    )
    _drawn(
        loss_to_svd.selection_coefficients(
            {"a": grid.coefficients[0, 0], "b": grid.coefficients[1, 0]}
        )
    )
    _drawn(loss_to_svd.selection_map(grid.selected, grid.taus, grid.rhos, 5, np.ones((2, 1)), 0.5))
    betas = [mmcl.clip_loss(t).weights(grid.G1[0, 0], grid.G2[0, 0], X, Y) for t in (0.5, 2.0)]
    _drawn(loss_to_svd.beta_heatmaps(betas, [0.5, 2.0], n_show=10))
    fig = matplotlib.pyplot.figure()
    loss_to_svd.beta_spectrum_view(
        fig,
        betas[0],
        grid.singular_values[0, 0],
        grid.singular_values[1, 0],
        grid.selected[0, 0],
        n_show=10,
        title="t",
    )
    _drawn(fig)


def test_threshold_spread():
    study = SelectionThresholds(
        tau_rho=np.array([2.0, 8.0, 1.0]),
        bracket=np.array([[1.5, 2.5], [6.0, 10.0], [0.8, 1.2]]),
        noise_scale=np.array([1.0, 2.0, 0.5]),
        signal_scale=np.array([40.0, 9.0, 30.0]),
        gap_scale=np.array([2.0, 5.0, 1.0]),
        snr=np.array([5.0, 20.0, 3.0]),
    )
    _drawn(loss_to_svd_threshold.threshold_spread(study, ["a", "b", "c"]))
    with pytest.raises(TypeError, match="thresholds"):
        loss_to_svd_threshold.threshold_spread({"tau_rho": 1}, ["a"])


def test_loss_to_svd_explorer(grid_problem):
    X, Y, grid = grid_problem
    explorer = loss_to_svd.explorer(X, Y, grid)
    assert isinstance(explorer, Explorer)
    assert explorer.defaults == {"tau": 1.0, "rho": 0.2}
    data = explorer.compute(**explorer.defaults)
    np.testing.assert_allclose(
        data["beta"], mmcl.clip_loss(1.0, 0.2).weights(grid.G1[0, 0], grid.G2[0, 0], X, Y)
    )
    np.testing.assert_array_equal(data["selected"], grid.selected[0, 0])
    np.testing.assert_allclose(
        data["linear_singular_values"],
        np.linalg.svd(mmcl.linear_cross_covariance(X, Y), compute_uv=False),
    )
    np.testing.assert_array_equal(
        explorer.compute(tau=2.0, rho=0.2)["singular_values"], grid.singular_values[1, 0]
    )
    fig = _drawn(explorer.figure(), render=True)
    assert len(fig.axes) >= 2
    _drawn(explorer.figure(tau=2.0))
    # a slider move updates the live figure in place
    live = explorer.render()
    assert explorer.render(tau=2.0) is live
    assert "tau = 2" in live.texts[0].get_text() or "tau = 2" in live._suptitle.get_text()


def test_loss_to_svd_explorer_bad_input(grid_problem):
    X, Y, grid = grid_problem
    with pytest.raises(ValueError, match="grid"):
        loss_to_svd.explorer(grid=grid)
    with pytest.raises(TypeError, match="grid"):
        loss_to_svd.explorer(X, Y, grid="not a grid")
    with pytest.raises(ValueError, match="grid"):
        loss_to_svd.explorer(X[:, :4], Y, grid)


# --- the chapter loss_zoo ---------------------------------------------------------------


def test_loss_zoo_figures():
    rng = np.random.default_rng(0)
    K = rng.standard_normal((12, 12))
    weights = {
        "linear": mmcl.linear_loss().weights(np.eye(12), np.eye(12), K, np.eye(12)),
        "spectral": mmcl.spectral_loss().weights(np.eye(12), np.eye(12), K, np.eye(12)),
    }
    _drawn(loss_zoo.weight_profiles(K, weights, rows=5))
    rhos = np.array([0.0, 1.0, 10.0])
    _drawn(loss_zoo.spectral_path(rhos, np.ones((2, 3)), np.zeros((2, 3))))
    selected = np.array([[2, 3], [0, 1]])
    _drawn(loss_zoo.selection_paths({"a": ([0.1, 1.0], selected, [0.5, 0.2])}, baseline=0.3))
    shape = (2, 3, len(METHODS))
    out = SideBySide(
        np.array([0.0, 0.5, 1.0]),
        METHODS,
        rng.random(shape),
        rng.random(shape),
        np.ones(shape),
        np.ones(shape, dtype=bool),
    )
    _drawn(loss_zoo.side_by_side({"isotropic": out, "structured": out}))
    _drawn(loss_zoo.error_vs_n([50, 100, 200], out.error, out.unexplained, methods=METHODS))
    with pytest.raises(TypeError, match="outs"):
        loss_zoo.side_by_side({"x": "not a result"})


def test_loss_zoo_explorer_updates_in_place():
    explorer = loss_zoo.explorer(n=40, rng=0)
    assert isinstance(explorer, Explorer)
    assert explorer.defaults == {"loss": "SigLIP", "tau": 0.5, "eps": 0.4}
    data = explorer.compute(**explorer.defaults)
    assert data["beta"].shape == (40, 40) and data["wrong"].any()
    assert data["singular_values"][0] == 1.0
    fig = _drawn(explorer.render(), render=True)
    for loss in loss_zoo.EXPLORER_LOSSES:
        assert explorer.render(loss=loss, tau=0.1, eps=0.0) is fig  # updated in place
    _drawn(explorer.figure(loss="SigLIP"), render=True)


# --- the chapter robustness ------------------------------------------------------------


@pytest.fixture(scope="module")
def sweep():
    model = robustness_model("structured", True, d=8, r=2, rng=0)
    return robustness_sweep(model, ns=[50, 100, 200], epss=[0.0, 0.5, 1.0], seeds=3, rng=1)


def test_robustness_figures(sweep):
    model = robustness_model("structured", True, d=8, r=2, rng=0)
    S = model.cross_covariance(0.5)
    _drawn(robustness.expectation_check([(0.0, S + 0.01, S), (0.5, S - 0.01, S)]))
    _drawn(robustness.masked_convergence(sweep.n, sweep.masked_error, sweep.unimodal_to_limit))
    _drawn(robustness.error_vs_eps(sweep, [50, 200]))
    _drawn(
        robustness.error_vs_n(
            sweep, [0.0, 0.5], {"unimodal CL": 0.5, "PCA": 0.7}, {0.0: -0.5, 0.5: -0.5}
        )
    )
    _drawn(robustness.theory_collapse(sweep, 3.0, 0.5))
    _drawn(robustness.phase_diagram(sweep, np.array([0.3, 0.5, 0.7]), np.array([0.2, 0.4, 0.6])))
    results = {
        (noise, coherent): sweep
        for noise in ("isotropic", "structured")
        for coherent in (False, True)
    }
    _drawn(robustness.ablation_grid(results, ["isotropic", "structured"]))
    by_eps = ClipVsLinear(
        steps=np.array([0, 10]),
        eps=np.array([0.0, 0.5]),
        tau=np.array([1.0]),
        linear=np.full((2, 2), 0.3),
        clip=np.full((2, 2, 1, 2), 0.4),
        polished=np.full((2, 2, 1), np.nan),
    )
    by_tau = ClipVsLinear(
        steps=np.array([0, 10]),
        eps=np.array([0.0]),
        tau=np.array([0.5, 1.0]),
        linear=np.full((2, 1), 0.3),
        clip=np.full((2, 1, 2, 2), 0.4),
        polished=np.full((2, 1, 2), 0.35),
    )
    _drawn(robustness.clip_vs_linear_figure(by_eps, by_tau))
    polished = ClipVsLinear(
        steps=np.array([0, 10]),
        eps=np.array([0.5]),
        tau=np.array([30.0]),
        linear=np.array([[0.3], [0.4], [0.5]]),
        clip=np.full((3, 1, 1, 2), 0.4),
        polished=np.array([[[0.28]], [[0.41]], [[0.52]]]),
    )
    fig = _drawn(robustness.clip_vs_linear_figure(by_eps, by_tau, polished))
    assert len(fig.axes) == 4 and not fig.axes[3].axison  # three panels in two rows
    fig = matplotlib.pyplot.figure()
    robustness.robustness_bars(
        fig,
        {"errors": {"MMCL": [0.1, 0.2], "unimodal CL": [0.5], "PCA": [0.6]}, "r": 2},
        {"n": 100, "eps": 0.5, "noise": "structured", "coherent": True},
    )
    _drawn(fig)


@pytest.fixture
def small_robustness_explorer(monkeypatch):
    """The robustness explorer on the chapter's grid of n and eps, but with d = 10 (fast)."""
    small = lambda noise, coherent, rng: robustness_model(noise, coherent, d=10, r=2, rng=rng)  # noqa: E731
    robustness._robustness_table.cache_clear()
    monkeypatch.setattr(robustness, "robustness_model", small)
    yield robustness.explorer(seeds=2)
    robustness._robustness_table.cache_clear()


def test_robustness_explorer(small_robustness_explorer):
    explorer = small_robustness_explorer
    assert explorer.defaults == {"eps": 0.5, "n": 4000, "noise": "structured", "coherent": True}
    data = explorer.compute(**explorer.defaults)
    assert sorted(data["errors"]) == ["MMCL", "PCA", "unimodal CL"] and data["r"] == 2
    assert all(np.shape(v) == (2,) for v in data["errors"].values())
    broken = explorer.compute(**{**explorer.defaults, "eps": 1.0})
    # Unimodal methods ignore the pairing; MMCL with every pair broken is far worse.
    np.testing.assert_array_equal(broken["errors"]["PCA"], data["errors"]["PCA"])
    assert np.mean(broken["errors"]["MMCL"]) > np.mean(data["errors"]["MMCL"]) + 0.3
    # only the default setting is computed when the explorer is built
    assert robustness._robustness_table.cache_info().currsize == 1
    _drawn(explorer.figure(), render=True)
    _drawn(explorer.figure(noise="isotropic", coherent=False, n=500))
    # a slider move updates the bars of the live figure in place
    live = explorer.render()
    height = live.axes[0].patches[0].get_height()
    assert explorer.render(eps=1.0) is live
    assert live.axes[0].patches[0].get_height() > height + 0.3
    assert "eps = 1" in live.axes[0].get_title()


# --- the chapter unpaired ----------------------------------------------------------------


def test_unpaired_figures():
    small = dict(n=20, d=8, r=2)
    result = regime_map(snrs=[8.0, 32.0], ms=[20, 40], seeds=2, rng=0, **small)
    _drawn(unpaired.regime_map_figure(result))
    _drawn(unpaired.regime_map_figure(result, yardstick="unexplained"))
    cal = fdr_calibration(targets=[0.1, 0.3], seeds=2, rng=0, m=30, **small)
    _drawn(unpaired.detection_figure(result, cal))
    _drawn(unpaired.ceiling_figure(matching_ceiling(ms=[10, 100], snrs=[8.0], r=4, rng=0)))
    from mmcl.experiments.paper import paper_reproduction

    rep = paper_reproduction(
        Ns=[10, 20], seeds=2, rng=0, n=30, n_test=40, d1=6, d2=5, r=2, batch_size=10, epochs=1
    )
    _drawn(unpaired.paper_reproduction_figure(rep))


def test_unpaired_explorer():
    explorer = unpaired.explorer(rng=0)
    assert explorer.defaults == {
        "noise": "structured",
        "snr": 16.0,
        "fraction": 0.5,
        "m": 200,
        "target_fdr": 0.1,
    }
    view = explorer.compute(**explorer.defaults)
    assert view.loading.shape == view.unexplained.shape == (7,) and view.spikes == 9
    _drawn(explorer.figure(), render=True)
    # The live view updates in place: the same figure, new bar heights.
    fig = explorer.render()
    bars = fig.axes[0].patches[4].get_height()
    assert explorer.render(snr=2.0) is fig
    assert fig.axes[0].patches[4].get_height() != bars
    empty = explorer.compute(**{**explorer.defaults, "snr": 1.0, "m": 40})
    assert np.all(empty.precision == 1.0)
    fig = matplotlib.pyplot.figure()
    update = unpaired.explorer_view(fig, empty, explorer.defaults)
    update(view, explorer.defaults)
    _drawn(fig)


# --- the chapter multiview ---------------------------------------------------------------


@pytest.fixture(scope="module")
def multiview_table():
    from mmcl.experiments.multiview_cleaning import real_cleaning

    views, labels = mmcl.load_multiple_features()
    return real_cleaning(
        views, labels, epss=[0.0, 0.5], pairs=[("mor", "zer"), ("pix", "kar")],
        encoders=["pls", "cca"], splits=1, r=3, n_train=600, rounds=1, rng=0,
    )  # fmt: skip


def test_multiview_figures(multiview_table):
    from mmcl.experiments import multiview_cleaning as mc
    from mmcl.experiments.multiview import real_unpaired, view_benchmark

    sweep = mc.cleaning_sweep(epss=[0.0, 0.5], signals=[2.0, 8.0], seeds=2, rng=0, n=200, rounds=1)
    _drawn(multiview.cleaning_errors(sweep))
    _drawn(multiview.rate_check(sweep))
    model = mmcl.make_model(8, 6, 2, rng=0, signal=4.0)
    s = model.sample(300, eps=0.5, rng=1)
    fit = mmcl.clean_pairs(s.X, s.Y, 2, rounds=2, rng=2)
    _drawn(multiview.score_histograms(fit, s.matched, rounds=(0, 1)))
    views, labels = mmcl.load_multiple_features()
    bench = view_benchmark(
        views, labels, pairs=[("mor", "zer")], r=3, splits=2, n_train=300, clip_epochs=1, rng=0
    )
    _drawn(multiview.view_benchmark_figure(bench))
    _drawn(multiview.real_cleaning_figure(multiview_table))
    unp = real_unpaired(
        views, labels, pairs=[("mor", "zer")], n_pairs=30, n_unpaired=40, splits=2, r=2,
        pca_dims=4, rng=0,
    )  # fmt: skip
    _drawn(multiview.real_unpaired_figure(unp))


def test_multiview_explorer(multiview_table):
    explorer = multiview.explorer(table=multiview_table)
    assert explorer.defaults == {
        "pair": ("mor", "zer"), "eps": 0.5, "cleaning": True, "encoder": "cca"
    }  # fmt: skip
    data = explorer.compute(**explorer.defaults)
    assert data["weights"].shape == (3,) and set(data["curves"]) == {
        "keep all",
        "weighted",
        "oracle",
    }
    off = explorer.compute(**{**explorer.defaults, "cleaning": False})
    np.testing.assert_array_equal(off["weights"], np.ones(3))
    assert off["value"] == data["curves"]["keep all"][1]
    _drawn(explorer.figure(), render=True)
    fig = explorer.render()
    assert explorer.render(pair=("pix", "kar"), eps=0.0, encoder="pls") is fig  # in place
    fig2 = matplotlib.pyplot.figure()
    update = multiview.explorer_view(fig2, off, {**explorer.defaults, "cleaning": False})
    assert callable(update)


def test_every_figure_function_is_exercised_here():
    """A new figure function needs a call in this module (checked by name)."""
    import inspect
    from pathlib import Path

    source = Path(__file__).read_text()
    missing = [
        f"{module.__name__}.{name}"
        for module in (
            style,
            loss_to_svd,
            loss_to_svd_threshold,
            loss_zoo,
            robustness,
            unpaired,
            multiview,
        )
        for name in module.__all__
        if inspect.isfunction(getattr(module, name))
        and f"{module.__name__.rsplit('.', 1)[1]}.{name}(" not in source
    ]
    assert not missing, missing
