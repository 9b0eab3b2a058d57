"""Experiments of the chapter `loss_to_svd`: the power-iteration phase of CLIP and
the singular triples its critical points select (the threshold above which they are
the top ``r`` is in :mod:`mmcl.experiments.loss_to_svd_threshold`).

Runners return dataclasses of NumPy arrays (no plotting); the figures and the
explorer live in ``mmcl.figures.loss_to_svd``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_data, as_generator, as_int, as_pair, as_positive, as_rank
from ..batched import fit_gd_batch
from ..data import make_model
from ..losses import clip_loss, linear_cross_covariance, linear_loss
from ..solvers import fit_gd, polish, spectral_selection

__all__ = [
    "chapter_sample",
    "PowerPhase",
    "power_phase",
    "SelectionGrid",
    "selection_grid",
]


def chapter_sample(
    n: int = 200, *, rng=0, signal=(6.0, 4.0, 3.0), noise_sd: float = 1.0, scale: float = 1.0
):
    """Centred pairs from the chapter's model: ``d1 = 12``, ``d2 = 10``, ``r = len(signal)``.

    By default latent variances 6, 4, 3 and unit isotropic noise; ``scale``
    multiplies both modalities (a change of units). Introduced in the chapter
    `loss_to_svd`.

    Parameters
    ----------
    n : int >= 2
    rng : numpy.random.Generator or int
        Draws the model, then the sample.
    signal : sequence of float > 0
        Latent variances, at most 10 of them.
    noise_sd : float > 0
        Standard deviation of the isotropic noise of both modalities.
    scale : float > 0
        Factor applied to the centred samples.

    Returns
    -------
    X : ndarray, shape (n, 12)
    Y : ndarray, shape (n, 10)
    model : TwoModalityModel
        The model before scaling.

    Examples
    --------
    >>> from mmcl.experiments.loss_to_svd import chapter_sample
    >>> X, Y, model = chapter_sample(50, rng=0)
    >>> X.shape, Y.shape, bool(abs(X.mean(axis=0)).max() < 1e-12)
    ((50, 12), (50, 10), True)
    """
    n = as_int(n, "n", low=2)
    rng = as_generator(rng)
    scale = as_positive(scale, "scale")
    signal = np.atleast_1d(np.asarray(signal, dtype=float))
    model = make_model(12, 10, signal.size, rng=rng, signal=signal, noise_sd=noise_sd)
    sample = model.sample(n, rng=rng)
    X, Y = sample.X - sample.X.mean(axis=0), sample.Y - sample.Y.mean(axis=0)
    return scale * X, scale * Y, model


@dataclass(frozen=True)
class PowerPhase:
    """Gradient descent on CLIP from a small start, next to a power iteration.

    Returned by :func:`power_phase`. Introduced in the chapter `loss_to_svd`.

    Attributes
    ----------
    steps : ndarray of int, shape (K,)
    to_top : ndarray, shape (K,)
        ``||sin Theta||_F`` of CLIP's ``G1`` to the top-r left singular
        subspace of ``S_lin``.
    to_truth, linear_to_truth : ndarray, shape (K,)
        ``||sin Theta||_F`` to ``truth`` of CLIP and of gradient descent on the
        linear loss (same start, step and ``rho``); NaN without ``truth``.
    logit_size : ndarray, shape (K,)
        ``max |K_ij|`` along CLIP's run.
    power_gap : ndarray, shape (K,)
        Relative distance of CLIP's stacked encoders ``[G1^T; G2^T]`` to the
        power iteration ``Z <- (I + lr B) Z`` on ``S_0 = (n-1)/n S_lin`` from
        the same start, ``B = [[0, S_0], [S_0^T, 0]]``.
    G1, G2 : ndarray, shapes (r, d1), (r, d2)
        CLIP's encoders at the end of the run.
    """

    steps: np.ndarray
    to_top: np.ndarray
    to_truth: np.ndarray
    linear_to_truth: np.ndarray
    logit_size: np.ndarray
    power_gap: np.ndarray
    G1: np.ndarray
    G2: np.ndarray


def power_phase(
    X,
    Y,
    r,
    *,
    tau: float,
    rho: float,
    lr: float,
    steps: int,
    rng,
    init_scale: float = 1e-3,
    truth=None,
) -> PowerPhase:
    """Run CLIP and the linear loss by gradient descent and the power iteration it starts as.

    Near ``K = 0`` CLIP's weights are ``(n-1)/n`` times the linear loss's,
    so its gradient step is, to third order in the encoders, the power
    iteration ``Z <- (I + lr B) Z``. Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    X : array, shape (n, d1)
        Centred modality-1 samples.
    Y : array, shape (n, d2)
    r : int
    tau : float > 0
    rho : float >= 0
    lr : float > 0
    steps : int >= 0
    rng : numpy.random.Generator or int
        Draws the shared small start ``N(0, init_scale^2)``.
    init_scale : float > 0
    truth : array, shape (d1, k), optional
        A basis to measure the subspace error against (e.g. ``model.U1``).

    Returns
    -------
    PowerPhase

    Examples
    --------
    >>> from mmcl.experiments.loss_to_svd import chapter_sample, power_phase
    >>> X, Y, model = chapter_sample(60, rng=0)
    >>> run = power_phase(X, Y, 3, tau=1.0, rho=0.2, lr=0.1, steps=5, rng=1, truth=model.U1)
    >>> run.steps.shape, bool(run.power_gap[:3].max() < 1e-3)
    ((6,), True)
    """
    X, Y = as_pair(X, Y)
    r = as_rank(r, X.shape[1], Y.shape[1])
    lr = as_positive(lr, "lr")
    rng = as_generator(rng)
    if truth is not None:
        truth = as_data(truth, "truth", min_rows=1)
        if truth.shape[0] != X.shape[1]:
            raise ValueError(
                f"truth must have d1 = X.shape[1] = {X.shape[1]} rows; got shape {truth.shape}"
            )
    start = (
        as_positive(init_scale, "init_scale") * rng.standard_normal((r, X.shape[1])),
        init_scale * rng.standard_normal((r, Y.shape[1])),
    )
    options = dict(steps=steps, lr=lr, rng=rng, init=start, record_every=1)
    run = fit_gd(X, Y, r, clip_loss(tau=tau, rho=rho), **options)
    lin = fit_gd(X, Y, r, linear_loss(rho=rho), **options)
    n, d1 = X.shape
    S0 = (n - 1) / n * linear_cross_covariance(X, Y)
    U_top = np.linalg.svd(S0)[0][:, :r]
    Z = np.vstack([start[0].T, start[1].T])
    gap = []
    for _, A, B in run.snapshots:
        gap.append(np.linalg.norm(np.vstack([A.T, B.T]) - Z) / np.linalg.norm(Z))
        Z = Z + lr * np.vstack([S0 @ Z[d1:], S0.T @ Z[:d1]])

    def errors(fit, basis):
        if basis is None:
            return np.full(len(fit.snapshots), np.nan)
        return _sin_theta_path(np.stack([A for _, A, _ in fit.snapshots]), basis)

    return PowerPhase(
        steps=np.array([t for t, _, _ in run.snapshots]),
        to_top=errors(run, U_top),
        to_truth=errors(run, truth),
        linear_to_truth=errors(lin, truth),
        logit_size=np.array([np.abs((X @ A.T) @ (Y @ B.T).T).max() for _, A, B in run.snapshots]),
        power_gap=np.array(gap),
        G1=run.G1,
        G2=run.G2,
    )


def _sin_theta_path(encoders, basis) -> np.ndarray:
    """:func:`mmcl.sin_theta` of every ``encoders[t].T`` (encoders: (T, r, d)) to ``basis``,
    with one stacked SVD."""
    U, s, _ = np.linalg.svd(np.swapaxes(encoders, 1, 2), full_matrices=False)
    if np.any(s[:, -1] <= max(U.shape[1:]) * np.finfo(float).eps * s[:, 0]) or np.any(s[:, 0] == 0):
        raise ValueError("A must have full column rank to span a subspace")
    QB = np.linalg.svd(basis, full_matrices=False)[0]
    return np.linalg.norm(U - QB @ (QB.T @ U), axis=(1, 2))


@dataclass
class SelectionGrid:
    """Converged CLIP encoders on a grid of temperatures and regulariser weights.

    Returned by :func:`selection_grid`; entry ``[a, b]`` belongs to
    ``taus[a]`` and ``rhos[b]``. Introduced in the chapter `loss_to_svd`.

    Attributes
    ----------
    taus : ndarray, shape (T,)
    rhos : ndarray, shape (R,)
    G1 : ndarray, shape (T, R, r, d1)
    G2 : ndarray, shape (T, R, r, d2)
    S : ndarray, shape (T, R, d1, d2)
        ``S(beta_hat)`` at each converged point.
    singular_values : ndarray, shape (T, R, min(d1, d2))
        Singular values of ``S(beta_hat)``, decreasing.
    coefficients : ndarray, shape (T, R, min(d1, d2))
        Coefficients of ``rho G1^T G2`` on the singular triples (1 = selected).
    selected : ndarray of int, shape (T, R, r)
        Indices of the selected triples (0 = largest singular value).
    residual : ndarray, shape (T, R)
        Relative residual of ``rho G1^T G2`` against its selected triples.
    gradient : ndarray, shape (T, R)
        Largest absolute gradient entry at the end point.
    """

    taus: np.ndarray
    rhos: np.ndarray
    G1: np.ndarray
    G2: np.ndarray
    S: np.ndarray
    singular_values: np.ndarray
    coefficients: np.ndarray
    selected: np.ndarray
    residual: np.ndarray
    gradient: np.ndarray


def _positive_values(values, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of numbers; got shape {arr.shape}"
        )
    for v in arr:
        as_positive(float(v), name)
    return arr


def _grid_points(taus, rhos):
    """``((a, tau), (b, rho))`` for every grid point, row by row."""
    return [((a, t), (b, p)) for a, t in enumerate(taus) for b, p in enumerate(rhos)]


def selection_grid(
    X, Y, r, *, taus, rhos, rng, steps: int = 150, lr: float = 0.1, init_scale: float = 1e-2
) -> SelectionGrid:
    """Run CLIP to a critical point for every ``(tau, rho)`` and read its SVD structure.

    For each pair: ``steps`` of gradient descent from one shared small random
    initialisation, then :func:`mmcl.polish` to a critical point, then
    :func:`mmcl.spectral_selection` of ``rho G1^T G2`` against ``S(beta_hat)``.
    Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    X : array, shape (n, d1)
        Modality-1 samples (centre them: CLIP is not translation invariant).
    Y : array, shape (n, d2)
    r : int
        Representation dimension, ``1 <= r <= min(d1, d2)``.
    taus : sequence of float > 0, length T
        Temperatures.
    rhos : sequence of float > 0, length R
        Regulariser weights.
    rng : numpy.random.Generator or int
        Source of the shared initialisation.
    steps : int >= 0
        Gradient-descent steps before the polish.
    lr : float > 0
        Step size of gradient descent.
    init_scale : float > 0
        Standard deviation of the initial encoder entries.

    Returns
    -------
    SelectionGrid

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(30, 4)), rng.normal(size=(30, 3))
    >>> grid = mmcl.selection_grid(X - X.mean(0), Y - Y.mean(0), 1, taus=[1.0], rhos=[0.5, 1.0],
    ...                            rng=1)
    >>> grid.selected.shape, bool(grid.residual.max() < 1e-6)
    ((1, 2, 1), True)
    """
    X, Y = as_pair(X, Y)
    d1, d2 = X.shape[1], Y.shape[1]
    r = as_rank(r, d1, d2)
    taus, rhos = _positive_values(taus, "taus"), _positive_values(rhos, "rhos")
    steps = as_int(steps, "steps", low=0)
    rng = as_generator(rng)
    scale = as_positive(init_scale, "init_scale")
    init = (scale * rng.standard_normal((r, d1)), scale * rng.standard_normal((r, d2)))
    T, R, k = taus.size, rhos.size, min(d1, d2)
    out = {
        "G1": np.empty((T, R, r, d1)),
        "G2": np.empty((T, R, r, d2)),
        "S": np.empty((T, R, d1, d2)),
        "singular_values": np.empty((T, R, k)),
        "coefficients": np.empty((T, R, k)),
        "selected": np.empty((T, R, r), dtype=int),
        "residual": np.empty((T, R)),
        "gradient": np.empty((T, R)),
    }
    points = _grid_points(taus, rhos)
    losses = [clip_loss(tau=tau, rho=rho) for (_, tau), (_, rho) in points]
    B = len(points)
    run = fit_gd_batch(
        X,
        Y,
        losses,
        steps=steps,
        lr=as_positive(lr, "lr"),
        init=(np.broadcast_to(init[0], (B, r, d1)), np.broadcast_to(init[1], (B, r, d2))),
    )
    if run.diverged.any():
        raise FloatingPointError(f"gradient descent diverged; lower lr (now {lr})")
    for k, ((a, _), (b, rho)) in enumerate(points):
        loss = losses[k]
        end = polish(X, Y, loss, init=(run.G1[k], run.G2[k]))
        S = loss.cross_covariance(end.G1, end.G2, X, Y)
        coef, sel, res = spectral_selection(end.G1, end.G2, S, rho=rho)
        grad = loss.gradient(end.G1, end.G2, X, Y)
        values = (
            end.G1,
            end.G2,
            S,
            np.linalg.svd(S, compute_uv=False),
            coef,
            sel,
            res,
            max(np.abs(grad[0]).max(), np.abs(grad[1]).max()),
        )
        for key, value in zip(out, values):
            out[key][a, b] = value
    return SelectionGrid(taus=taus, rhos=rhos, **out)
