"""Interactive explorers (ipywidgets) for the chapters, and their static views.

Each explorer is an :class:`Explorer`: a fast ``compute(**params)`` that
returns the data to show, a ``draw(fig, data, params)`` that draws it, and
the ipywidgets controls. ``Explorer.figure()`` renders the default view as a
static matplotlib figure (what the website shows); ``Explorer.widget()``
returns the live interface for Jupyter. Each chapter's explorer lives with
its figures (:mod:`mmcl.figures`) and takes its data from the chapter's
experiment runners; factories are registered in :data:`EXPLORERS` (filled
when :mod:`mmcl.figures` is imported) so the benchmark can time every
callback at its defaults.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import NamedTuple

import matplotlib.image as mimage
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

__all__ = ["Explorer", "EXPLORERS", "PREVIEW_DPI", "register", "steady_limit", "steady_range"]

#: Resolution of the live view's PNG (the static figures use the book's sharper style).
PREVIEW_DPI = 100

#: name -> factory returning an :class:`Explorer` (used by ``make bench``).
EXPLORERS: dict[str, Callable[[], Explorer]] = {}


def steady_limit(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten at or above ``value`` (> 0).

    An axis limit set from data changes on almost every move of a live view, and a
    view whose limits change is drawn whole; a steady limit changes only in steps.

    Examples
    --------
    >>> from mmcl.widgets import steady_limit
    >>> steady_limit(0.73), steady_limit(1.0), steady_limit(13.0)
    (1.0, 1.0, 20.0)
    """
    value = float(value)
    if not value > 0 or not np.isfinite(value):
        raise ValueError(f"value must be a positive finite number; got {value!r}")
    power = 10.0 ** np.floor(np.log10(value))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * power >= value * (1 - 1e-12):
            return float(factor * power)
    return float(10.0 * power)  # pragma: no cover - rounding guard


def steady_range(lo: float, hi: float) -> tuple[float, float]:
    """``(lo, hi)`` widened outwards to multiples of a step of 1, 2 or 5 times a power
    of ten, a quarter of the span or more: limits that change only in steps.

    Examples
    --------
    >>> from mmcl.widgets import steady_range
    >>> steady_range(0.13, 0.92)
    (0.0, 1.0)
    """
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"need finite lo < hi; got lo={lo!r}, hi={hi!r}")
    step = steady_limit((hi - lo) / 4)
    return float(np.floor(lo / step) * step), float(np.ceil(hi / step) * step)


def register(name: str):
    """Decorator adding an explorer factory to :data:`EXPLORERS`."""

    def deco(factory):
        EXPLORERS[name] = factory
        return factory

    return deco


class _Frame(NamedTuple):
    """What the last drawing of a live view left to reuse."""

    background: object  # Agg copy of the figure without the moving artists, or None
    moving: tuple  # (container, artist): redrawn on every move, in drawing order
    layout: tuple  # figure size, axes positions and limits, and every drawn artist


def _layers(fig):
    """``[(container, children it draws)]`` for the figure and each of its axes.

    Mirrors what ``Figure.draw`` and ``Axes.draw`` draw (no patches; no spines or
    axis objects where the axes hide them), in their order (stable by zorder).
    """
    layers = [(fig, [a for a in fig.get_children() if a is not fig.patch])]
    for ax in fig.axes:
        children = [a for a in ax.get_children() if a is not ax.patch]
        if not (ax.axison and ax.get_frame_on()):
            children = [a for a in children if a not in ax.spines.values()]
        if not ax.axison:
            children = [a for a in children if a not in ax._axis_map.values()]
        layers.append((ax, children))
    return [(c, sorted(children, key=lambda a: a.get_zorder())) for c, children in layers]


def _layout(fig, layers):
    """Everything a background depends on besides the artists' own state: the figure's
    size, each axes' position and limits, each axis's scale, ticks and label, and the
    artists drawn."""
    geometry = tuple(
        (tuple(ax.get_position().bounds), tuple(ax.viewLim.bounds))
        + tuple(
            (axis.get_scale(), tuple(axis.get_majorticklocs()), axis.label.get_text())
            for axis in ax._axis_map.values()
        )
        for ax in fig.axes
    )
    drawn = tuple(id(a) for _, children in layers for a in children)
    return (tuple(fig.bbox.bounds), geometry, drawn)


def _moving(layers, before=()):
    """Artists to redraw: the changed (stale) ones, those moving before, and every
    artist drawn above them in the same container. An axis counts as changed only
    through its limits, scale, ticks or label (see :func:`_layout`)."""
    moving = []
    for container, children in layers:
        changed = [
            a for a in children if not isinstance(a, (Axes, Axis)) and (a.stale or a in before)
        ]
        if changed:
            z = min(a.get_zorder() for a in changed)
            moving += [
                (container, a) for a in children if not isinstance(a, Axes) and a.get_zorder() >= z
            ]
    return tuple(moving)


def _neighbour(control):
    """The value one step from a control's current value (the next option, the next
    slider step, or the other state of a check box)."""
    value = control.value
    if hasattr(control, "options"):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        index = next(i for i, v in enumerate(values) if v is value or v == value)
        return values[(index + 1) % len(values)]
    if isinstance(value, bool):
        return not value
    if hasattr(control, "base"):  # a log slider steps its exponent
        up = value * control.base**control.step
        return up if up <= control.max else value / control.base**control.step
    up = value + control.step
    return up if up <= control.max else value - control.step


class Explorer:
    """An interactive figure: controls -> ``compute`` -> ``draw``.

    A slider move must answer within a fraction of a second, and most of that
    time is matplotlib building axes, ticks and text. So ``draw`` may return
    an ``update(data, params)`` function that changes the artists it made in
    place (``set_data``, ``set_height``, ``set_array``, fixed axes); the live
    view then keeps one figure and calls ``update`` on every move, and only
    redraws from scratch when ``draw`` returned ``None``. Introduced in the
    chapter `loss_to_svd`.

    Parameters
    ----------
    compute : callable
        ``compute(**params) -> data``; must answer in a fraction of a second.
    draw : callable
        ``draw(fig, data, params) -> update or None``; draws on an empty figure.
    controls : dict
        Parameter name -> ipywidgets control; their values are the defaults.
    figsize : (float, float)

    Examples
    --------
    >>> import ipywidgets as w
    >>> from mmcl.widgets import Explorer
    >>> def draw(fig, data, params):
    ...     (line,) = fig.add_subplot().plot([0, 1], [0, data])
    ...     return lambda data, params: line.set_ydata([0, data])
    >>> explorer = Explorer(lambda slope: slope, draw, {"slope": w.FloatSlider(value=1.0)})
    >>> fig = explorer.render(slope=2.0)       # first call: draws
    >>> fig is explorer.render(slope=3.0)      # later calls: update in place
    True
    """

    #: Redraw only what a move changed (see :meth:`png`); ``False`` draws everything.
    blit: bool = True

    def __init__(self, compute: Callable, draw: Callable, controls: dict, *, figsize=(9.0, 3.6)):
        self.compute, self.draw, self.controls, self.figsize = compute, draw, controls, figsize
        self._live, self._update, self._frame = None, None, None

    @property
    def defaults(self) -> dict:
        """Current value of every control."""
        return {name: c.value for name, c in self.controls.items()}

    def moves(self) -> list[dict]:
        """Parameters one control step away from the defaults, one dict per control.

        What ``make bench`` times (a move, then the move back) and what the tests
        replay to check the live view against a full drawing.
        """
        return [{**self.defaults, name: _neighbour(c)} for name, c in self.controls.items()]

    def figure(self, **params):
        """Static figure at the defaults, overridden by ``params``."""
        from .figures.style import use_style

        values = {**self.defaults, **params}
        use_style()
        fig = plt.figure(figsize=self.figsize)
        self.draw(fig, self.compute(**values), values)
        return fig

    def render(self, **params):
        """The live figure, brought to the defaults overridden by ``params``.

        Updates the artists in place when the view supports it, otherwise
        redraws the figure; the figure is not rendered to pixels here.
        """
        from .figures.style import use_style

        values = {**self.defaults, **params}
        data = self.compute(**values)
        if self._live is not None and self._update is not None:
            self._update(data, values)
            return self._live
        if self._live is None:
            use_style()
            # Shown through the widget only, never by pyplot: a figure of its own, drawn
            # by Agg at the preview's resolution.
            self._live = Figure(figsize=self.figsize, dpi=PREVIEW_DPI)
            FigureCanvasAgg(self._live)
        else:
            self._live.clear()
        self._update, self._frame = self.draw(self._live, data, values), None
        return self._live

    def png(self, **params) -> bytes:
        """:meth:`render`, then the figure as PNG bytes at :data:`PREVIEW_DPI`.

        This is all a control's move costs in :meth:`widget` (and what
        ``make bench`` times). The static figures of the book are sharper
        (``mmcl.figures.style``); a live view is redrawn on every move.
        Once the view updates in place, its layout is frozen after the first
        PNG (the axes stay where the layout engine put them), and a move
        redraws only what it changed: the artists it made stale and those
        drawn above them, over a copy of the rest (blitting). Whenever the
        axes' limits or positions change, or artists come or go, the whole
        figure is drawn again and the copy renewed.
        """
        fig = self.render(**params)
        if self._update is None:
            fig.canvas.draw()
        else:
            self._draw_changes(fig)
        buffer = io.BytesIO()
        mimage.imsave(buffer, fig.canvas.buffer_rgba(), format="png", dpi=fig.dpi)
        return buffer.getvalue()

    def _draw_changes(self, fig):
        """Draw a view updated in place, blitting where its layout is unchanged."""
        canvas = fig.canvas
        if self._frame is None:  # first drawing: lay out, then freeze the layout
            canvas.draw()
            if not isinstance(fig.get_layout_engine(), (type(None), PlaceHolderLayoutEngine)):
                fig.set_layout_engine("none")
            self._frame = _Frame(None, (), _layout(fig, _layers(fig)))
            return
        layers = _layers(fig)
        layout, frame = _layout(fig, layers), self._frame
        if self.blit and layout == frame.layout:
            moving = _moving(layers, [a for _, a in frame.moving])
            if frame.background is not None and set(moving) <= set(frame.moving):
                canvas.restore_region(frame.background)
                for container, a in frame.moving:
                    container.draw_artist(a)
                return
            if not any(isinstance(a, Axis) for _, a in moving):
                # A new background: everything but the moving artists, drawn once.
                for _, a in frame.moving:
                    a.set_animated(False)
                for _, a in moving:
                    a.set_animated(True)
                canvas.draw()
                self._frame = _Frame(canvas.copy_from_bbox(fig.bbox), moving, layout)
                for container, a in moving:
                    container.draw_artist(a)
                return
        # New limits, ticks or artists (or an axis would move): draw everything.
        for _, a in frame.moving:
            a.set_animated(False)
        canvas.draw()
        self._frame = _Frame(None, (), layout)

    def widget(self):
        """The live interface: controls above an image that shows :meth:`png`."""
        import ipywidgets as w

        image = w.Image(format="png", layout=w.Layout(max_width="100%", height="auto"))

        def refresh(_change=None):
            image.value = self.png()

        for c in self.controls.values():
            c.observe(refresh, names="value")
        refresh()
        return w.VBox(
            [w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap")), image]
        )
