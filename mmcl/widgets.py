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

import matplotlib.pyplot as plt
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

__all__ = ["Explorer", "EXPLORERS", "PREVIEW_DPI", "register"]

#: Resolution of the live view's PNG (the static figures use the book's sharper style).
PREVIEW_DPI = 100

#: name -> factory returning an :class:`Explorer` (used by ``make bench``).
EXPLORERS: dict[str, Callable[[], Explorer]] = {}


def register(name: str):
    """Decorator adding an explorer factory to :data:`EXPLORERS`."""

    def deco(factory):
        EXPLORERS[name] = factory
        return factory

    return deco


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

    def __init__(self, compute: Callable, draw: Callable, controls: dict, *, figsize=(9.0, 3.6)):
        self.compute, self.draw, self.controls, self.figsize = compute, draw, controls, figsize
        self._live, self._update = None, None

    @property
    def defaults(self) -> dict:
        """Current value of every control."""
        return {name: c.value for name, c in self.controls.items()}

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
        self._update = self.draw(self._live, data, values)
        return self._live

    def png(self, **params) -> bytes:
        """:meth:`render`, then the figure as PNG bytes at :data:`PREVIEW_DPI`.

        This is all a control's move costs in :meth:`widget` (and what
        ``make bench`` times). The static figures of the book are sharper
        (``mmcl.figures.style``); a live view is redrawn on every move.
        Once the view updates in place, its layout is frozen after the first
        PNG: the axes stay where the layout engine put them.
        """
        buffer = io.BytesIO()
        fig = self.render(**params)
        # One Agg draw (savefig would add a layout pass while a layout engine is set).
        fig.canvas.print_png(buffer)
        engine = fig.get_layout_engine()
        if self._update is not None and not isinstance(
            engine, (type(None), PlaceHolderLayoutEngine)
        ):
            # Updated in place from now on: keep the axes where the layout put them
            # instead of laying out every label again on each move.
            fig.set_layout_engine("none")
        return buffer.getvalue()

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
