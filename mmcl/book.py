"""Notebook helper of the book: glue numbers, text and figures for the prose.

Every chapter uses :func:`glue` and nothing else to hand values to its text
(``{glue:text}`` and ``{glue:md}`` roles, ``{glue:figure}`` directives of
myst-nb).
"""

from __future__ import annotations

import importlib.util
import numbers

import numpy as np

__all__ = ["glue", "clean_number", "small_number", "GLUE_PREFIX"]

#: The MIME prefix under which myst-nb reads a value glued without display, as
#: ``myst_nb.glue(name, value, display=False)`` writes it; :func:`glue` follows that
#: protocol without importing myst-nb (whose import takes seconds).
GLUE_PREFIX = "application/papermill.record/"


def clean_number(value):
    """A number as a plain Python ``int`` or ``float``, without float artefacts.

    Integers (and floats with an integral value below 2**53) become ``int``;
    other floats are rounded to 12 significant digits, so ``0.1 + 0.2`` reads
    0.3 and ``3.0000000000000004`` reads 3. NumPy scalars become Python
    numbers (no ``np.float64(...)`` in the text). Introduced in the chapter
    `loss_to_svd`.

    Parameters
    ----------
    value : real number or 0-d array

    Returns
    -------
    int or float

    Examples
    --------
    >>> from mmcl.book import clean_number
    >>> clean_number(0.1 + 0.2), clean_number(3.0000000000000004), clean_number(2.5e-13)
    (0.3, 3, 2.5e-13)
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"value must be a real number; got {value!r}")
    if isinstance(value, numbers.Integral):
        return int(value)
    value = float(value)
    if not np.isfinite(value):
        return value
    value = float(f"{value:.12g}")
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def small_number(value) -> str:
    """A small error or gap for the text: ``"2.3e-16"``, or ``"0 (exact in floating
    point)"`` when it is exactly zero (where ``0.0e+00`` would read as a rounding).

    Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    value : real number

    Returns
    -------
    str

    Examples
    --------
    >>> from mmcl.book import small_number
    >>> small_number(2.34e-16), small_number(0.0)
    ('2.3e-16', '0 (exact in floating point)')
    """
    value = clean_number(value)
    return "0 (exact in floating point)" if value == 0 else f"{value:.1e}"


def glue(mapping=None, /, **values) -> None:
    """Glue values for the chapter's text, without displaying them.

    Numbers are glued as clean Python numbers (:func:`clean_number`), so the
    text can format them (``{glue:text}`name:.2f```); strings as Markdown whose
    plain text is the string itself (so ``{glue:md}`name``` and
    ``{glue:text}`name``` both show it); matplotlib figures for ``{glue:figure}``. The
    figure stays open, so Jupyter still shows it under its cell (tag the cell
    ``remove-output`` so the website shows it once). Keys that are not Python
    names (``"fig-gd"``) go in ``mapping``. Each value is displayed under the
    MIME types of its display formats prefixed with :data:`GLUE_PREFIX`, with
    ``{"scrapbook": {"name": ..., "mime_prefix": GLUE_PREFIX}}`` in its metadata,
    exactly as ``myst_nb.glue(name, value, display=False)`` does. Without myst-nb
    (a plain Jupyter installation, as in the course bundle) it does nothing: the
    values only matter to the website. Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    mapping : dict, optional
        Name -> value.
    **values
        More names and values.

    Examples
    --------
    In a notebook::

        glue(n=200, gap=gd_gap)
        glue({"fig-linear-gd": fig})
    """
    if importlib.util.find_spec("myst_nb") is None:  # plain Jupyter: nothing to hand over
        return
    from IPython.core.formatters import format_display_data
    from IPython.display import display
    from matplotlib.figure import Figure

    for name, value in {**(mapping or {}), **values}.items():
        if isinstance(value, str):  # Markdown whose plain text is the string itself
            bundle, metadata = {"text/markdown": value, "text/plain": value}, {}
        else:
            if not isinstance(value, Figure):
                value = clean_number(value)
            bundle, metadata = format_display_data(value)
        metadata["scrapbook"] = {"name": name, "mime_prefix": GLUE_PREFIX}
        display({GLUE_PREFIX + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)
