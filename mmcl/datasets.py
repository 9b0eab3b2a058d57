"""Real data sets shipped with the book (nothing is downloaded).

Introduced in the chapter `multiview`.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load_multiple_features", "MULTIPLE_FEATURES_VIEWS"]

#: The six views of the multiple-features digits and their widths (columns).
MULTIPLE_FEATURES_VIEWS = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}


def load_multiple_features():
    """The UCI *Multiple Features* digits: six views of the same 2,000 handwritten digits.

    Each of the digits "0" to "9" (200 of each) was scanned once and described
    in six ways (van Breukelen et al., 1998): ``fou``, 76 Fourier coefficients
    of the character shape; ``fac``, 216 profile correlations; ``kar``, 64
    Karhunen-Loeve coefficients; ``pix``, 240 pixel averages in 2 x 3 windows;
    ``zer``, 47 Zernike moments; ``mor``, 6 morphological features. Row ``i``
    is the same digit in every view, so any two views are a paired data set.
    The data ship with the package (``mmcl/_data/multiple_features.npz``, CC BY
    4.0, see ``mmcl/_data/LICENSE-DATA.md``); nothing is downloaded.
    Introduced in the chapter `multiview`.

    Returns
    -------
    views : dict of str -> ndarray
        ``"fou"`` (2000, 76), ``"fac"`` (2000, 216), ``"kar"`` (2000, 64),
        ``"pix"`` (2000, 240), ``"zer"`` (2000, 47), ``"mor"`` (2000, 6); float64,
        unscaled (the units of the original files).
    labels : ndarray of int, shape (2000,)
        The digit shown; rows come in blocks of 200 per digit (0 first).

    Examples
    --------
    >>> import mmcl
    >>> views, labels = mmcl.load_multiple_features()
    >>> {name: X.shape[1] for name, X in views.items()}
    {'fou': 76, 'fac': 216, 'kar': 64, 'pix': 240, 'zer': 47, 'mor': 6}
    >>> labels.shape, int((labels == 3).sum())
    ((2000,), 200)
    """
    source = resources.files("mmcl") / "_data" / "multiple_features.npz"
    with source.open("rb") as handle, np.load(handle) as archive:
        views = {
            name: np.asarray(archive[name], dtype=np.float64) for name in MULTIPLE_FEATURES_VIEWS
        }
        labels = np.asarray(archive["labels"], dtype=np.int64)
    return views, labels
