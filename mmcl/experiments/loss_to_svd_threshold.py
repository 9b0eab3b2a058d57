"""The threshold of the chapter `loss_to_svd`: the ``tau * rho`` above which CLIP's end
point selects the top ``r`` singular triples, measured on several data sets and compared
with the scales of the data (the book's own study, not a result of the paper).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_generator, as_int, as_pair, as_positive, as_rank
from ..losses import clip_loss, linear_cross_covariance
from ..solvers import fit_gd, polish, spectral_selection

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


def _selects_top(X, Y, r, rho, start, lr, steps) -> bool:
    """Gradient descent on CLIP (tau = 1) from ``start``, polished: are the top r selected?"""
    loss = clip_loss(tau=1.0, rho=rho)
    run = fit_gd(X, Y, r, loss, steps=steps, lr=lr, rng=0, init=start)
    end = polish(X, Y, loss, init=(run.G1, run.G2))
    S = loss.cross_covariance(end.G1, end.G2, X, Y)
    return bool(np.array_equal(spectral_selection(end.G1, end.G2, S, rho=rho)[1], np.arange(r)))


def _threshold(X, Y, r, rng, search, iters, steps, scale):
    """One data set of :func:`selection_thresholds`: (tau_rho, bracket, scales ...)."""
    r = as_rank(r, X.shape[1], Y.shape[1])
    n = X.shape[0]
    eig_x = np.linalg.eigvalsh(X.T @ X / (n - 1))
    nu_x, nu_y = np.median(eig_x), np.median(np.linalg.eigvalsh(Y.T @ Y / (n - 1)))
    s = np.linalg.svd(linear_cross_covariance(X, Y), compute_uv=False)
    unit = nu_x * nu_y
    start = (
        scale * rng.standard_normal((r, X.shape[1])),
        scale * rng.standard_normal((r, Y.shape[1])),
    )

    def top(x):
        return _selects_top(X, Y, r, x * unit, start, 0.5 / s[0], steps)

    lo, hi = search
    if top(lo) or not top(hi):
        lo = hi = np.nan
    else:
        for _ in range(iters):
            mid = np.sqrt(lo * hi)
            lo, hi = (lo, mid) if top(mid) else (mid, hi)
    gap = s[0] * s[r] if s.size > r else np.nan
    return np.sqrt(lo * hi) * unit, (lo * unit, hi * unit), unit, s[0] ** 2, gap, eig_x[-1] / nu_x


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
    rows = [
        _threshold(*as_pair(X, Y), r, rng, (low, high), iters, steps, scale) for X, Y in samples
    ]
    tau_rho, bracket, noise, signal, gap, snr = (np.array(col) for col in zip(*rows))
    return SelectionThresholds(
        tau_rho=tau_rho,
        bracket=bracket.reshape(-1, 2),
        noise_scale=noise,
        signal_scale=signal,
        gap_scale=gap,
        snr=snr,
    )
