"""Gradient descent on many problems of the same size at once (lockstep).

Experiments that train a loss to a critical point on several data sets, starts
or hyperparameters (the threshold search and the selection grid of the chapter
`loss_to_svd`, the fixed points and the side-by-side comparison of the chapter
`loss_zoo`) run the same gradient-descent loop on small problems, where the
interpreter's work per step rivals the arithmetic. :func:`fit_gd_batch` runs
``B`` such problems as one stack of arrays: each step costs the same
arithmetic as ``B`` steps of :func:`mmcl.fit_gd`, with the per-step overhead
paid once. CLIP, InfoNCE and SigLIP evaluate whole stacks
(``stacked_embedding_gradient``, the code of their ``embedding_gradient``); any
other loss is evaluated problem by problem.
Introduced in the chapter `loss_to_svd`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_data, as_encoders, as_int, as_positive
from .losses import CLIPLoss, InfoNCELoss, LogitLoss, SigLIPLoss

__all__ = ["BatchGDFit", "fit_gd_batch"]

#: Logits per chunk of the stack (2 MB of float64).
_CHUNK = 1 << 18


@dataclass
class BatchGDFit:
    """Result of :func:`fit_gd_batch`; entry ``[b]`` belongs to problem ``b``.

    Introduced in the chapter `loss_to_svd`.

    Attributes
    ----------
    G1 : ndarray, shape (B, r, d1)
    G2 : ndarray, shape (B, r, d2)
    history : ndarray, shape (B, steps + 1)
        Loss value before each step and at the end (NaN after a divergence).
    diverged : ndarray of bool, shape (B,)
        Problems whose value or gradient stopped being finite (where
        :func:`mmcl.fit_gd` raises ``FloatingPointError``); their encoders are
        the last finite iterate.
    """

    G1: np.ndarray
    G2: np.ndarray
    history: np.ndarray
    diverged: np.ndarray


def _stack(A, name, B):
    """``A`` as a float64 array of shape (B, n, d) (a 2-D ``A`` is shared by every problem)."""
    arr = np.asarray(A, dtype=float)
    if arr.ndim == 2:
        arr = as_data(arr, name)
        return np.broadcast_to(arr, (B, *arr.shape))
    if arr.ndim != 3 or arr.shape[0] != B:
        raise ValueError(
            f"{name} must have shape (n, d) or (B, n, d) with B = {B}; got {arr.shape}"
        )
    for a in arr:
        as_data(a, name)
    return arr


def _kernel(losses, n):
    """``(E1, E2) -> (values, dE1, dE2)`` for the stack, or None without a stacked kernel.

    The stack is cut into chunks of at most ``_CHUNK`` logits (SigLIP, with two
    n x n arrays and more temporaries: a quarter of it), so that each chunk's
    arrays stay in the processor's cache.
    """
    kind = type(losses[0])
    if any(type(f) is not kind for f in losses):
        return None
    if kind is CLIPLoss:
        params, size = (np.array([f.tau for f in losses]),), _CHUNK
    elif kind is InfoNCELoss:
        params, size = (np.array([f.tau for f in losses]),), _CHUNK
    elif kind is SigLIPLoss:
        params = (np.array([f.t for f in losses]), np.array([f.b for f in losses]))
        size = _CHUNK // 4
    else:
        return None
    step = max(1, size // (n * n))

    def evaluate(E1, E2):
        parts = []
        for i in range(0, E1.shape[0], step):
            part = kind.stacked_embedding_gradient(
                E1[i : i + step], E2[i : i + step], *(p[i : i + step] for p in params)
            )
            if part is None:
                return None
            parts.append(part)
        return tuple(np.concatenate(column) for column in zip(*parts))

    return evaluate


def _one_by_one(losses, G1, G2, X, Y):
    """Values and gradients of the stack, problem by problem."""
    out = [f.validated_value_and_gradient(*args) for f, *args in zip(losses, G1, G2, X, Y)]
    return (
        np.array([v for v, _ in out]),
        np.stack([g[0] for _, g in out]),
        np.stack([g[1] for _, g in out]),
    )


def _values_and_gradients(losses, kernel, rho, G1, G2, X, Y):
    """Values (B,) and gradients of the stack, regulariser included."""
    stacked = None
    if kernel is not None:
        E1, E2 = X @ np.swapaxes(G1, 1, 2), Y @ np.swapaxes(G2, 1, 2)
        stacked = kernel(E1, E2)
    if stacked is None:
        return _one_by_one(losses, G1, G2, X, Y)
    value, dE1, dE2 = stacked
    dG1, dG2 = np.swapaxes(dE1, 1, 2) @ X, np.swapaxes(dE2, 1, 2) @ Y
    A1, A2 = G1 @ np.swapaxes(G1, 1, 2), G2 @ np.swapaxes(G2, 1, 2)
    value = value + 0.5 * rho * np.sum(A1 * A2, axis=(1, 2))
    dG1 += (rho[:, None, None] * A2) @ G1
    dG2 += (rho[:, None, None] * A1) @ G2
    return value, dG1, dG2


def fit_gd_batch(X, Y, losses, *, steps: int, lr, init) -> BatchGDFit:
    """Plain gradient descent on ``B`` problems of the same size, in lockstep.

    Problem ``b`` is :func:`mmcl.fit_gd` with ``losses[b]``, step ``lr[b]``, start
    ``(init[0][b], init[1][b])`` and data ``(X[b], Y[b])`` (or the shared ``X``,
    ``Y``); the iterates agree with it up to rounding. A problem whose value or
    gradient stops being finite is frozen and flagged in ``.diverged`` instead of
    raising. Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    X : array, shape (n, d1) or (B, n, d1)
    Y : array, shape (n, d2) or (B, n, d2)
    losses : LogitLoss or sequence of LogitLoss, length B
        One loss for every problem, or one per problem. CLIP, InfoNCE and
        SigLIP (each stack of one kind, with any temperatures, biases and
        ``rho``) run as stacked arrays; other losses problem by problem.
    steps : int >= 0
    lr : float > 0 or array of float > 0, shape (B,)
    init : (G1, G2)
        Starts, shapes (B, r, d1) and (B, r, d2).

    Returns
    -------
    BatchGDFit

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> from mmcl.batched import fit_gd_batch
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(30, 4)), rng.normal(size=(30, 3))
    >>> losses = [mmcl.clip_loss(tau=t, rho=0.5) for t in (0.5, 1.0, 2.0)]
    >>> G1, G2 = 0.1 * rng.normal(size=(3, 2, 4)), 0.1 * rng.normal(size=(3, 2, 3))
    >>> fit = fit_gd_batch(X, Y, losses, steps=20, lr=0.1, init=(G1, G2))
    >>> one = mmcl.fit_gd(X, Y, 2, losses[1], steps=20, lr=0.1, rng=0, init=(G1[1], G2[1]))
    >>> bool(np.allclose(fit.G1[1], one.G1, rtol=1e-12, atol=1e-14))
    True
    """
    if not (isinstance(init, (tuple, list)) and len(init) == 2):
        raise TypeError("init must be a pair (G1, G2) of arrays of shapes (B, r, d1), (B, r, d2)")
    G1, G2 = np.array(init[0], dtype=float), np.array(init[1], dtype=float)
    if G1.ndim != 3 or G2.ndim != 3 or G1.shape[0] != G2.shape[0] or G1.shape[1] != G2.shape[1]:
        raise ValueError(
            f"init must hold arrays of shapes (B, r, d1) and (B, r, d2); got {G1.shape}, {G2.shape}"
        )
    B = G1.shape[0]
    if isinstance(losses, LogitLoss):
        losses = [losses] * B
    losses = list(losses)
    if len(losses) != B or not all(isinstance(f, LogitLoss) for f in losses):
        raise TypeError(f"losses must be a loss of mmcl or a sequence of B = {B} of them")
    X, Y = _stack(X, "X", B), _stack(Y, "Y", B)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of rows; got {X.shape[1]}, {Y.shape[1]}"
        )
    for b in range(B):
        as_encoders(G1[b], G2[b], X[b], Y[b])
    steps = as_int(steps, "steps", low=0)
    lr = np.broadcast_to(np.asarray(lr, dtype=float), (B,)).copy()
    for v in lr:
        as_positive(float(v), "lr")
    rho = np.array([f.rho for f in losses])
    kernel = _kernel(losses, X.shape[1])
    history = np.full((B, steps + 1), np.nan)
    diverged = np.zeros(B, dtype=bool)
    step = lr[:, None, None]
    for t in range(steps + 1):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value, dG1, dG2 = _values_and_gradients(losses, kernel, rho, G1, G2, X, Y)
            bad = ~(
                np.isfinite(value)
                & np.isfinite(dG1).all(axis=(1, 2))
                & np.isfinite(dG2).all(axis=(1, 2))
            )
        diverged |= bad
        history[~diverged, t] = value[~diverged]
        if t < steps:
            live = step * ~diverged[:, None, None]
            G1 = G1 - live * np.where(diverged[:, None, None], 0.0, dG1)
            G2 = G2 - live * np.where(diverged[:, None, None], 0.0, dG2)
    return BatchGDFit(G1=G1, G2=G2, history=history, diverged=diverged)
