"""The book's figure style: one colour-blind-safe palette, sizes, bands.

Every chapter draws through :mod:`mmcl.figures` so the figures look alike.
The palette is Okabe and Ito's, safe for the common forms of colour
blindness. Functions return the matplotlib ``Figure`` (or ``Axes``) they
drew on and never call ``plt.show``.

Sharpness is set here, once: in a notebook, :func:`use_style` makes IPython
render every figure to a PNG about :data:`PNG_WIDTH` pixels wide (at
:data:`PNG_DPI` dots per inch, whatever the figure's size in inches), so the
website's figures stay sharp on high-density screens. The page scales them
to its text column.
"""

from __future__ import annotations

import weakref

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["PALETTE", "METHOD_COLORS", "use_style", "figure", "band", "heatmap", "log_ticks"]

#: Okabe-Ito colours, in the order they are used.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

#: A fixed colour for each method, so a method looks the same in every chapter.
METHOD_COLORS = {
    "MMCL": PALETTE[0],
    "linear": PALETTE[0],
    "SVD": PALETTE[0],
    "CLIP": PALETTE[1],
    "unimodal CL": PALETTE[2],
    "PCA": PALETTE[3],
    "oracle": PALETTE[7],
    "unpaired": PALETTE[4],
}

#: Width in pixels of the PNG of every figure shown in a notebook (and on the website).
PNG_WIDTH = 1400
#: The resolution of that PNG stays within these bounds (dots per inch).
PNG_DPI = (150, 300)

_STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.figsize": (6.4, 4.0),
    "figure.constrained_layout.use": True,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.alpha": 0.3,
    "font.size": 10.5,
    "axes.titlesize": 11.5,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply the book's matplotlib style (call once at the top of a chapter).

    Introduced in the chapter `loss_to_svd`.
    """
    mpl.rcParams.update(_STYLE)
    _show_figures_sharp()


def _png_dpi(fig) -> float:
    """Resolution at which ``fig`` is rendered for display: :data:`PNG_WIDTH` pixels
    across, within :data:`PNG_DPI`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from mmcl.figures.style import _png_dpi
    >>> fig = plt.figure(figsize=(7.0, 3.0))
    >>> _png_dpi(fig)
    200.0
    >>> plt.close(fig)
    """
    low, high = PNG_DPI
    return float(min(high, max(low, PNG_WIDTH / fig.get_figwidth())))


#: figure -> (resolution, PNG) of its last rendering, until the figure changes.
_RENDERED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _sharp_png(fig):
    """The figure's PNG at :func:`_png_dpi`, rendered once while the figure is unchanged.

    A glued figure is displayed twice (by :func:`mmcl.book.glue` and under its cell);
    the second display reuses the first PNG. After rendering, the figure is marked
    current (``stale = False``); any change to one of its artists marks it stale again,
    and the next display renders it anew.
    """
    from IPython.core.pylabtools import print_figure

    dpi = _png_dpi(fig)
    cached = _RENDERED.get(fig)
    if cached is not None and cached[0] == dpi and not fig.stale:
        return cached[1]
    png = print_figure(fig, "png", bbox_inches="tight", dpi=dpi)
    fig.stale = False
    _RENDERED[fig] = (dpi, png)
    return png


def _show_figures_sharp() -> None:
    """In IPython, display figures through :func:`_sharp_png` (no-op elsewhere)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the book's extras
        return
    shell = get_ipython()
    if shell is None:
        return
    # Load the backend first: the inline backend installs its own PNG formatter when it
    # loads (on the first figure otherwise), which would replace this one.
    from matplotlib.backends import backend_registry
    from matplotlib.figure import Figure

    backend_registry.load_backend_module(mpl.get_backend())
    shell.display_formatter.formatters["image/png"].for_type(Figure, _sharp_png)


def figure(
    ncols: int = 1, nrows: int = 1, *, width: float | None = None, height: float | None = None, **kw
):
    """A new figure with the book's style; returns ``(fig, axes)``.

    Introduced in the chapter `loss_to_svd`.
    """
    use_style()
    w = width if width is not None else 3.4 * ncols + 0.6
    h = height if height is not None else 3.0 * nrows
    return plt.subplots(
        nrows, ncols, figsize=(w, h), squeeze=False if (ncols > 1 or nrows > 1) else True, **kw
    )


def band(ax, x, values, *, label=None, color=None, marker="o", **kw):
    """Mean line with a +/- one standard deviation band across seeds. Introduced in the
    chapter `loss_to_svd`.

    Parameters
    ----------
    ax : matplotlib Axes
    x : array, shape (m,)
    values : array, shape (seeds, m)
        One row per seed.
    """
    values = np.asarray(values, dtype=float)
    mean, sd = values.mean(axis=0), values.std(axis=0)
    (line,) = ax.plot(x, mean, marker=marker, ms=3.5, label=label, color=color, **kw)
    ax.fill_between(x, mean - sd, mean + sd, color=line.get_color(), alpha=0.2, lw=0)
    return line


def heatmap(ax, M, *, title=None, cmap="viridis", colorbar=True, label=None, **kw):
    """Show a matrix with a colour bar; returns the image.

    Introduced in the chapter `loss_to_svd`.
    """
    im = ax.imshow(M, cmap=cmap, interpolation="nearest", **kw)
    if title:
        ax.set_title(title)
    ax.grid(False)
    if colorbar:
        cb = ax.figure.colorbar(im, ax=ax, shrink=0.85)
        if label:
            cb.set_label(label)
    return im


def log_ticks(ax, x):
    """Log x axis labelled at the plotted values only.

    Introduced in the chapter `loss_to_svd`.
    """
    ax.set_xscale("log")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{v:g}" for v in x])
    ax.minorticks_off()
