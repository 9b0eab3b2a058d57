"""Real data sets shipped with the book (nothing is downloaded).

Introduced in the chapter `robustness`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["load_digit_halves"]


def load_digit_halves():
    """The 8 x 8 handwritten digits bundled with scikit-learn, cut into two modalities.

    Modality 1 is the left half of each image (columns 0-3), modality 2 the
    right half (columns 4-7); both are flattened to 32 pixel intensities
    (0 to 16). The data ship with scikit-learn, so nothing is downloaded.
    Introduced in the chapter `robustness`.

    Returns
    -------
    X : ndarray, shape (1797, 32)
        Left halves.
    Y : ndarray, shape (1797, 32)
        Right halves; row i is the partner of ``X[i]``.
    labels : ndarray of int, shape (1797,)
        The digit (0-9) shown.

    Examples
    --------
    >>> import mmcl
    >>> X, Y, labels = mmcl.load_digit_halves()
    >>> X.shape, Y.shape, sorted(set(labels.tolist())) == list(range(10))
    ((1797, 32), (1797, 32), True)
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.asarray(digits.images, dtype=np.float64)
    n = images.shape[0]
    return (
        images[:, :, :4].reshape(n, -1),
        images[:, :, 4:].reshape(n, -1),
        np.asarray(digits.target, dtype=int),
    )
