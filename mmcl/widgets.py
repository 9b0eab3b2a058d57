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

import functools
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["Explorer", "EXPLORERS", "register"]

#: name -> factory returning an :class:`Explorer` (used by ``make bench``).
EXPLORERS: dict[str, Callable[[], "Explorer"]] = {}


def register(name: str):
    """Decorator adding an explorer factory to :data:`EXPLORERS`."""

    def deco(factory):
        EXPLORERS[name] = factory
        return factory

    return deco


class Explorer:
    """An interactive figure: controls -> ``compute`` -> ``draw``.

    Parameters
    ----------
    compute : callable
        ``compute(**params) -> data``; must answer in a fraction of a second.
    draw : callable
        ``draw(fig, data, params)``; draws on an empty figure.
    controls : dict
        Parameter name -> ipywidgets control; their values are the defaults.
    figsize : (float, float)
    """

    def __init__(self, compute: Callable, draw: Callable, controls: dict, *, figsize=(9.0, 3.6)):
        self.compute, self.draw, self.controls, self.figsize = compute, draw, controls, figsize

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

    def widget(self):
        """The live interface: controls above an output area that redraws."""
        import ipywidgets as w
        from IPython.display import display

        out = w.Output()

        def refresh(_change=None):
            fig = self.figure()
            with out:
                out.clear_output(wait=True)
                display(fig)
            plt.close(fig)

        for c in self.controls.values():
            c.observe(refresh, names="value")
        refresh()
        return w.VBox([w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap")), out])
