"""Shared steps of the real-data runners of the chapter `multiview` (splits, z-scores, scores)."""

from __future__ import annotations

import numpy as np

from ..cca import fit_cca
from ..solvers import fit_svd

__all__ = [
    "check_views",
    "train_test",
    "standardise",
    "retrieval_scores",
    "fit_encoders",
    "mean_or_nan",
]


def check_views(views, labels, pairs):
    """Validate a dict of views, their labels and a list of view pairs; returns (labels, pairs)."""
    if not isinstance(views, dict):
        raise TypeError(f"views must be a dict of view name -> array; got {type(views).__name__}")
    labels = np.asarray(labels)
    pairs = tuple(tuple(p) for p in pairs)
    if not pairs or any(len(p) != 2 or p[0] == p[1] for p in pairs):
        raise ValueError(f"pairs must be a non-empty list of two different view names; got {pairs}")
    for name in {v for p in pairs for v in p}:
        if name not in views:
            raise ValueError(f"pairs names view {name!r}, which is not in views ({sorted(views)})")
        if np.ndim(views[name]) != 2 or np.shape(views[name])[0] != labels.shape[0]:
            raise ValueError(
                f"views[{name!r}] must be 2-D with one row per label ({labels.shape[0]})"
            )
    return labels, pairs


def train_test(n, n_train, rng):
    """A random split of ``range(n)``: (training rows, test rows)."""
    order = rng.permutation(n)
    return order[:n_train], order[n_train:]


def standardise(A, train, test, *, zscore=True):
    """Centre (and z-score) the training and test rows with the statistics of the training rows."""
    mean = A[train].mean(axis=0)
    sd = A[train].std(axis=0) if zscore else np.ones(A.shape[1])
    sd = np.where(sd > 0, sd, 1.0)
    return (A[train] - mean) / sd, (A[test] - mean) / sd


def retrieval_scores(E1, E2, labels):
    """Top-1 cosine retrieval of each row's partner, and how often the retrieved row shares its
    label."""
    A = E1 / np.maximum(np.linalg.norm(E1, axis=1, keepdims=True), np.finfo(float).tiny)
    B = E2 / np.maximum(np.linalg.norm(E2, axis=1, keepdims=True), np.finfo(float).tiny)
    best = np.argmax(A @ B.T, axis=1)
    return float(np.mean(best == np.arange(len(best)))), float(np.mean(labels[best] == labels))


def fit_encoders(X, Y, r, encoder, ridge, weights=None, whitening="symmetric"):
    """``(G1, G2)`` of PLS-SVD (``encoder="pls"``) or of CCA with ``ridge`` and ``whitening``
    (``"cca"``)."""
    if encoder == "pls":
        fit = fit_svd(X, Y, r, weights=weights)
    else:
        fit = fit_cca(X, Y, r, ridge=ridge, weights=weights, whitening=whitening)
    return fit.G1, fit.G2


def mean_or_nan(values) -> float:
    """Mean of a possibly empty array (``nan`` if empty)."""
    return float(values.mean()) if values.size else float("nan")
