"""mmcl.widgets: the Explorer machinery and the registry of the chapters' explorers."""

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import pytest

import mmcl.figures
from mmcl import widgets
from mmcl.widgets import EXPLORERS, Explorer, register

pytestmark = pytest.mark.usefixtures("close_figures")


def test_registry_holds_every_chapter_explorer():
    assert EXPLORERS["loss_to_svd"] is mmcl.figures.loss_to_svd.explorer
    assert EXPLORERS["robustness"] is mmcl.figures.robustness.explorer
    assert EXPLORERS["unpaired"] is mmcl.figures.unpaired.explorer


def test_register_adds_a_factory(monkeypatch):
    monkeypatch.setattr(widgets, "EXPLORERS", {})

    @register("demo")
    def factory():
        return "made"

    assert widgets.EXPLORERS == {"demo": factory} and factory() == "made"


def _counting_explorer(calls):
    def compute(a, b):
        calls.append((a, b))
        return a * b

    def draw(fig, data, params):
        ax = fig.add_subplot(1, 1, 1)
        ax.set_title(f"{data} {params['a']}")

    controls = {
        "a": w.IntSlider(value=2, min=0, max=10),
        "b": w.FloatSlider(value=0.5, min=0, max=1),
    }
    return Explorer(compute, draw, controls, figsize=(3.0, 2.0))


def test_explorer_defaults_and_static_figure():
    calls = []
    explorer = _counting_explorer(calls)
    assert explorer.defaults == {"a": 2, "b": 0.5}
    fig = explorer.figure()
    assert calls == [(2, 0.5)] and fig.axes[0].get_title() == "1.0 2"
    assert tuple(fig.get_size_inches()) == (3.0, 2.0)
    fig = explorer.figure(a=4)  # a parameter overrides its control's value
    assert calls[-1] == (4, 0.5) and fig.axes[0].get_title() == "2.0 4"
    assert explorer.defaults == {"a": 2, "b": 0.5}


def test_explorer_widget_redraws_when_a_control_moves():
    calls = []
    explorer = _counting_explorer(calls)
    ui = explorer.widget()
    assert isinstance(ui, w.VBox) and calls == [(2, 0.5)]
    explorer.controls["a"].value = 7
    assert calls[-1] == (7, 0.5)
    controls_box, image = ui.children
    assert list(controls_box.children) == list(explorer.controls.values())
    assert isinstance(image, w.Image) and image.value == explorer.png()
    assert bytes(image.value).startswith(b"\x89PNG")
    assert plt.get_fignums() == []  # each redraw closes its figure


def test_png_of_an_updating_view_keeps_its_layout_and_shows_the_new_state():
    def draw(fig, data, params):
        ax = fig.add_subplot()
        (line,) = ax.plot([0, 1], [0, data])
        ax.set_ylim(0, 10)

        def update(data, params):
            line.set_ydata([0, data])

        return update

    explorer = Explorer(lambda slope: slope, draw, {"slope": w.FloatSlider(value=1.0)})
    first = explorer.png(slope=1.0)
    fig = explorer.render(slope=1.0)
    position = fig.axes[0].get_position().bounds
    engine = fig.get_layout_engine()  # frozen after the first PNG: a placeholder that does nothing
    assert type(engine).__name__ == "PlaceHolderLayoutEngine"
    second = explorer.png(slope=9.0)
    assert fig.axes[0].get_position().bounds == position
    assert first.startswith(b"\x89PNG") and second != first
    assert list(fig.axes[0].lines[0].get_ydata()) == [0, 9.0]


def _pixels(png):
    import io

    import matplotlib.image as mimage

    return mimage.imread(io.BytesIO(png), format="png")


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_live_view_redrawing_only_what_changed_equals_a_full_drawing(name, monkeypatch):
    """Every move of every explorer, and the move back: the blitted PNG has the pixels
    of the same figure drawn whole."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    blits = []
    restore = FigureCanvasAgg.restore_region
    monkeypatch.setattr(
        FigureCanvasAgg, "restore_region", lambda *a: blits.append(1) or restore(*a)
    )
    blitted, whole = EXPLORERS[name](), EXPLORERS[name]()
    whole.blit = False
    steps = [whole.defaults]
    for move in whole.moves():
        steps += [move, whole.defaults]
    for params in steps:
        a, b = _pixels(blitted.png(**params)), _pixels(whole.png(**params))
        assert a.shape == b.shape
        assert np.abs(a - b).max() <= 1 / 255, (name, params)
    if name in ("robustness", "multiview"):  # views whose axes stay put: blitted
        assert len(blits) >= len(steps) // 2


def test_steady_limits_change_in_steps_and_refuse_bad_input():
    from mmcl.widgets import steady_limit, steady_range

    values = np.geomspace(0.011, 900.0, 200)
    limits = np.array([steady_limit(v) for v in values])
    assert (limits >= values).all() and (limits <= 2.5 * values).all()
    assert len(set(limits)) == 15  # 0.02, 0.05, 0.1, ... , 1000: three steps a decade
    lo, hi = steady_range(-0.37, 2.2)
    assert lo <= -0.37 and hi >= 2.2 and (lo, hi) == steady_range(-0.4, 2.1)
    for bad in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match="value"):
            steady_limit(bad)
    with pytest.raises(ValueError, match="lo < hi"):
        steady_range(1.0, 1.0)
