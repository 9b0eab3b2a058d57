"""The threshold of the chapter `loss_to_svd`: the ``tau * rho`` above which CLIP's end
point selects the top ``r`` singular triples, measured on several data sets and compared
with the scales of the data (the book's own study, not a result of the paper).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_generator, as_int, as_pair, as_positive, as_rank
from ..batched import fit_gd_batch
from ..losses import clip_loss, linear_cross_covariance
from ..solvers import polish, spectral_selection

__all__ = ["SelectionThresholds", "selection_thresholds"]


@dataclass(frozen=True)
class SelectionThresholds:
    """The ``tau * rho`` above which CLIP's end point selects the top ``r`` triples.

    Returned by :func:`selection_thresholds`, one entry per data set.
    Introduced in the chapter `loss_to_svd`.

    Attributes
    ----------
    tau_rho : ndarray, shape (C,)
        The threshold: geometric middle of the final bracket (NaN when the
        top ``r`` is selected at both ends of the search, or at neither).
    bracket : ndarray, shape (C, 2)
        Largest ``tau * rho`` found not to select the top ``r``, and smallest
        found to select it.
    noise_scale : ndarray, shape (C,)
        ``nu_x nu_y``: product of the median eigenvalues of the two sample
        covariances (the noise variances, when the noise fills most directions).
    signal_scale : ndarray, shape (C,)
        ``sigma_1(S_lin)^2``.
    gap_scale : ndarray, shape (C,)
        ``sigma_1(S_lin) sigma_{r+1}(S_lin)``.
    snr : ndarray, shape (C,)
        ``lambda_max(S_x) / nu_x``: the top signal-to-noise ratio of modality 1.
    """

    tau_rho: np.ndarray
    bracket: np.ndarray
    noise_scale: np.ndarray
    signal_scale: np.ndarray
    gap_scale: np.ndarray
    snr: np.ndarray


def _selects_top(trials, r, steps) -> list:
    """Gradient descent on CLIP (tau = 1) from each trial's start, polished: are the top r
    selected? A trial is ``(X, Y, rho, start, lr)``; trials of the same size run their
    gradient descents in lockstep (:func:`mmcl.batched.fit_gd_batch`)."""
    out = [False] * len(trials)
    groups = {}
    for k, (X, Y, *_) in enumerate(trials):
        groups.setdefault((X.shape, Y.shape), []).append(k)
    for members in groups.values():
        batch = [trials[k] for k in members]
        losses = [clip_loss(tau=1.0, rho=rho) for _, _, rho, _, _ in batch]
        Xs, Ys = np.stack([t[0] for t in batch]), np.stack([t[1] for t in batch])
        init = tuple(np.stack([t[3][i] for t in batch]) for i in (0, 1))
        lr = np.array([t[4] for t in batch])
        run = fit_gd_batch(Xs, Ys, losses, steps=steps, lr=lr, init=init)
        if run.diverged.any():
            raise FloatingPointError("gradient descent diverged; lower the step")
        for j, k in enumerate(members):
            X, Y, rho = batch[j][:3]
            end = polish(X, Y, losses[j], init=(run.G1[j], run.G2[j]))
            S = losses[j].cross_covariance(end.G1, end.G2, X, Y)
            selected = spectral_selection(end.G1, end.G2, S, rho=rho)[1]
            out[k] = bool(np.array_equal(selected, np.arange(r)))
    return out


def _scales(X, Y, r, rng, scale):
    """Scales and start of one data set of :func:`selection_thresholds`."""
    n = X.shape[0]
    eig_x = np.linalg.eigvalsh(X.T @ X / (n - 1))
    nu_x, nu_y = np.median(eig_x), np.median(np.linalg.eigvalsh(Y.T @ Y / (n - 1)))
    s = np.linalg.svd(linear_cross_covariance(X, Y), compute_uv=False)
    start = (
        scale * rng.standard_normal((r, X.shape[1])),
        scale * rng.standard_normal((r, Y.shape[1])),
    )
    gap = s[0] * s[r] if s.size > r else np.nan
    return dict(
        unit=nu_x * nu_y,
        start=start,
        lr=0.5 / s[0],
        signal=s[0] ** 2,
        gap=gap,
        snr=eig_x[-1] / nu_x,
    )


def _bisect(data, sets, r, search, iters, steps):
    """The brackets of every data set, bisected in lockstep (one round of trials at a time)."""

    def top(pairs):  # (data set, x) -> selects the top r at rho = x * unit?
        trials = [
            (*data[c], x * sets[c]["unit"], sets[c]["start"], sets[c]["lr"]) for c, x in pairs
        ]
        return _selects_top(trials, r, steps)

    C = len(sets)
    lo, hi = np.full(C, search[0]), np.full(C, search[1])
    ends = top([(c, search[0]) for c in range(C)] + [(c, search[1]) for c in range(C)])
    valid = ~np.array(ends[:C]) & np.array(ends[C:])
    lo[~valid] = hi[~valid] = np.nan
    live = np.flatnonzero(valid)
    for _ in range(iters):
        mid = np.sqrt(lo * hi)
        for c, selects in zip(live, top([(c, mid[c]) for c in live])):
            if selects:
                hi[c] = mid[c]
            else:
                lo[c] = mid[c]
    return lo, hi


def selection_thresholds(
    samples,
    r,
    *,
    rng,
    low: float = 0.1,
    high: float = 100.0,
    iters: int = 6,
    steps: int = 150,
    init_scale: float = 1e-2,
) -> SelectionThresholds:
    """Bisect, on each data set, the ``tau * rho`` above which CLIP selects the top r triples.

    By the scaling laws of the chapter only ``tau * rho`` in units of
    (data scale)^4 matters, so the search runs at ``tau = 1`` over
    ``rho = x nu_x nu_y`` with ``x`` between ``low`` and ``high``: each trial
    is gradient descent from a small random start (shared by the trials of a
    data set; step ``0.5 / sigma_1(S_lin)``), :func:`mmcl.polish`, then
    :func:`mmcl.spectral_selection`. The bisection assumes the selection is
    the top ``r`` exactly above a threshold, as the chapter's grid shows.
    Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    samples : sequence of (X, Y)
        Centred pairs, shapes (n, d1) and (n, d2) (sizes may differ between data sets).
    r : int
        Representation dimension.
    rng : numpy.random.Generator or int
        Draws the starts.
    low, high : float > 0
        Search range of ``tau rho / (nu_x nu_y)``.
    iters : int >= 0
        Bisection steps (final bracket ratio ``(high / low) ** (1 / 2**iters)``).
    steps : int >= 0
        Gradient-descent steps of each trial before the polish.
    init_scale : float > 0
        Standard deviation of the start's entries.

    Returns
    -------
    SelectionThresholds

    Examples
    --------
    >>> from mmcl.experiments.loss_to_svd import chapter_sample
    >>> from mmcl.experiments.loss_to_svd_threshold import selection_thresholds
    >>> X, Y, _ = chapter_sample(60, rng=0)
    >>> out = selection_thresholds([(X, Y)], 3, rng=0, iters=1)
    >>> out.bracket.shape, bool(out.bracket[0, 0] < out.bracket[0, 1])
    ((1, 2), True)
    """
    rng = as_generator(rng)
    low, high = as_positive(low, "low"), as_positive(high, "high")
    if not low < high:
        raise ValueError(f"low must be below high; got low = {low}, high = {high}")
    iters, steps = as_int(iters, "iters", low=0), as_int(steps, "steps", low=0)
    scale = as_positive(init_scale, "init_scale")
    if isinstance(samples, tuple) and len(samples) == 2 and np.ndim(samples[0]) == 2:
        raise TypeError("samples must be a sequence of (X, Y) pairs; wrap one pair in a list")
    data = [as_pair(X, Y) for X, Y in samples]
    for X, Y in data:
        r = as_rank(r, X.shape[1], Y.shape[1])
    sets = [_scales(X, Y, r, rng, scale) for X, Y in data]
    lo, hi = _bisect(data, sets, r, (low, high), iters, steps)
    unit = np.array([c["unit"] for c in sets])
    return SelectionThresholds(
        tau_rho=np.sqrt(lo * hi) * unit,
        bracket=np.stack([lo * unit, hi * unit], axis=1),
        noise_scale=unit,
        signal_scale=np.array([c["signal"] for c in sets]),
        gap_scale=np.array([c["gap"] for c in sets]),
        snr=np.array([c["snr"] for c in sets]),
    )
