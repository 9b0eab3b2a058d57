"""Experiments of the chapter `robustness` that fit one sample at a time.

CLIP trained by gradient descent (and polished to a critical point) against the
closed-form linear loss under mismatch. Runners return dataclasses (no
plotting); the figures live in ``mmcl.figures.robustness``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_generator, as_int, as_positive, as_probability
from .._threads import one_blas_thread
from ..data import TwoModalityModel
from ..losses import clip_loss
from ..metrics import sin_theta
from ..solvers import fit_gd, fit_svd
from ..solvers import polish as polish_fit

__all__ = ["ClipVsLinear", "clip_vs_linear"]


@dataclass(frozen=True)
class ClipVsLinear:
    """CLIP by gradient descent against the closed-form linear loss (see :func:`clip_vs_linear`).

    Introduced in the chapter `robustness`.

    Attributes
    ----------
    steps : ndarray of int, shape (K,)
        Recorded step numbers.
    eps : ndarray, shape (E,)
    tau : ndarray, shape (T,)
    linear : ndarray, shape (seeds, E)
        ``||sin Theta||_F`` to ``span(U1)`` of the closed-form linear loss.
    clip : ndarray, shape (seeds, E, T, K)
        The same for CLIP along training.
    polished : ndarray, shape (seeds, E, T)
        The same for CLIP's end point polished to a critical point
        (:func:`mmcl.polish`); NaN unless ``polish=True``.
    """

    steps: np.ndarray
    eps: np.ndarray
    tau: np.ndarray
    linear: np.ndarray
    clip: np.ndarray
    polished: np.ndarray


def clip_vs_linear(
    model: TwoModalityModel,
    *,
    n: int,
    epss,
    taus=(1.0,),
    rho: float = 1.0,
    steps: int = 150,
    lr: float = 0.05,
    record_every: int = 10,
    seeds: int = 10,
    rng,
    init_scale: float = 0.1,
    polish: bool = False,
) -> ClipVsLinear:
    """Subspace error of CLIP trained by gradient descent against the closed-form linear solution.

    For each seed and eps one centred sample of n pairs is drawn; the linear
    loss is solved in closed form (:func:`mmcl.fit_svd`) and CLIP with each
    temperature in ``taus`` is trained by :func:`mmcl.fit_gd` from the same
    small random start, recording ``||sin Theta||_F`` to ``span(U1)`` every
    ``record_every`` steps; with ``polish=True`` the end point is then driven
    to a critical point. The samples and starts depend on ``rng``, ``seeds``
    and ``epss`` only, not on ``taus``. Introduced in the chapter `robustness`.

    Parameters
    ----------
    model : TwoModalityModel
    n : int
        Pairs per sample.
    epss : sequence of float in [0, 1]
    taus : sequence of float > 0
        CLIP temperatures.
    rho : float > 0
        Regulariser weight of CLIP.
    steps, lr, record_every, init_scale
        Passed to :func:`mmcl.fit_gd`.
    seeds : int
    rng : numpy.random.Generator or int
    polish : bool
        Also polish each end point (:func:`mmcl.polish`) and record its error.

    Returns
    -------
    ClipVsLinear

    Examples
    --------
    >>> from mmcl.experiments import clip_vs_linear, robustness_model
    >>> out = clip_vs_linear(robustness_model(d=6, r=2), n=40, epss=[0.0], steps=4,
    ...                      record_every=2, seeds=2, rng=0)
    >>> out.clip.shape, out.linear.shape
    ((2, 1, 1, 3), (2, 1))
    """
    if not isinstance(model, TwoModalityModel):
        raise TypeError(f"model must be a TwoModalityModel; got {type(model).__name__}")
    n = as_int(n, "n", low=2)
    epss = [as_probability(float(e), "epss") for e in np.atleast_1d(epss)]
    taus = [as_positive(float(t), "taus") for t in np.atleast_1d(taus)]
    seeds = as_int(seeds, "seeds", low=1)
    rng = as_generator(rng)
    record = np.arange(
        0, as_int(steps, "steps", low=0) + 1, as_int(record_every, "record_every", low=1)
    )
    if not isinstance(polish, (bool, np.bool_)):
        raise TypeError(f"polish must be True or False; got {polish!r}")
    linear = np.empty((seeds, len(epss)))
    clip = np.empty((seeds, len(epss), len(taus), record.size))
    polished = np.full((seeds, len(epss), len(taus)), np.nan)
    options = dict(rho=rho, steps=steps, lr=lr, record_every=record_every, polish=polish)
    with one_blas_thread():
        for s in range(seeds):
            _clip_seed(
                model, n, epss, taus, init_scale, rng, linear[s], clip[s], polished[s], **options
            )
    return ClipVsLinear(
        steps=record,
        eps=np.array(epss),
        tau=np.array(taus),
        linear=linear,
        clip=clip,
        polished=polished,
    )


def _clip_seed(model, n, epss, taus, init_scale, rng, linear, clip, polished, *, rho, polish, **gd):
    """One seed of :func:`clip_vs_linear`; fills ``linear`` (E,), ``clip`` (E, T, K) and
    ``polished`` (E, T) in place."""
    for j, eps in enumerate(epss):
        sample = model.sample(n, eps=eps, rng=rng)
        X, Y = sample.X - sample.X.mean(axis=0), sample.Y - sample.Y.mean(axis=0)
        linear[j] = sin_theta(fit_svd(X, Y, model.r).G1.T, model.U1)
        start = rng.integers(2**32)
        for t, tau in enumerate(taus):
            loss = clip_loss(tau=tau, rho=rho)
            fit = fit_gd(X, Y, model.r, loss, rng=start, init_scale=init_scale, **gd)
            clip[j, t] = _errors_along(fit.snapshots, model.U1)
            if polish:
                end = polish_fit(X, Y, loss, init=(fit.G1, fit.G2))
                polished[j, t] = sin_theta(end.G1.T, model.U1)


def _errors_along(snapshots, U1):
    """``||sin Theta||_F`` to ``span(U1)`` (orthonormal ``U1``) of every snapshot's ``G1``."""
    Q = np.linalg.qr(np.stack([G1.T for _, G1, _ in snapshots]))[0]
    return np.linalg.norm(Q - U1 @ (U1.T @ Q), axis=(-2, -1))
