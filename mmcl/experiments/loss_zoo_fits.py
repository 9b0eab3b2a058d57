"""Experiments of the chapter `loss_zoo` that train the nonlinear losses: the singular
triples their critical points select, and every method side by side under the book's data
model.

Runners return frozen dataclasses of NumPy arrays (seed axis first; no plotting).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_data, as_generator, as_int, as_pair, as_positive, as_probability, as_rank
from .._threads import one_blas_thread
from ..baselines import pca
from ..batched import fit_gd_batch
from ..cca import fit_cca
from ..data import TwoModalityModel
from ..losses import LogitLoss, infonce_loss, siglip_loss
from ..metrics import sin_theta
from ..solvers import fit_gd, fit_svd, polish, spectral_selection
from .loss_zoo import latent_unexplained
from .sampling import sample_batch

__all__ = [
    "FixedPoints",
    "fixed_points",
    "METHODS",
    "comparison_losses",
    "SideBySide",
    "side_by_side",
]


@dataclass(frozen=True)
class FixedPoints:
    """Critical points of several losses on one sample, and the triples they select.

    Returned by :func:`fixed_points`; entry ``[l]`` belongs to ``losses[l]``.
    Introduced in the chapter `loss_zoo`.

    Attributes
    ----------
    names : tuple of str, length L
    G1 : ndarray, shape (L, r, d1)
    G2 : ndarray, shape (L, r, d2)
    singular_values : ndarray, shape (L, min(d1, d2))
        Of ``S(beta_hat)`` at each critical point, decreasing.
    coefficients : ndarray, shape (L, min(d1, d2))
        ``u_k^T (rho G1^T G2) v_k / sigma_k`` (1 = selected triple).
    selected : ndarray of int, shape (L, r)
        Selected triples (0 = largest singular value).
    residual : ndarray, shape (L,)
        Relative residual of ``rho G1^T G2`` against its selected triples.
    gradient : ndarray, shape (L,)
        Largest absolute gradient entry at the end point.
    error : ndarray, shape (L,)
        ``||sin Theta||_F`` of ``G1`` to ``truth`` (NaN without ``truth``).
    """

    names: tuple
    G1: np.ndarray
    G2: np.ndarray
    singular_values: np.ndarray
    coefficients: np.ndarray
    selected: np.ndarray
    residual: np.ndarray
    gradient: np.ndarray
    error: np.ndarray


def _critical_point(X, Y, r, loss, init, steps, lr, gtol=1e-10):
    """Gradient descent from ``init`` (halving ``lr`` if it diverges), then ``polish``."""
    for _ in range(8):
        try:
            start = fit_gd(X, Y, r, loss, steps=steps, lr=lr, rng=0, init=init)
            break
        except FloatingPointError:
            lr /= 2
    else:  # pragma: no cover - eight halvings always suffice on the book's problems
        raise FloatingPointError(f"gradient descent on {loss.name} diverged")
    return polish(X, Y, loss, init=(start.G1, start.G2), gtol=gtol)


def _critical_points(Xs, Ys, r, losses, inits, steps, lr, gtol=1e-10):
    """:func:`_critical_point` for many problems of the same size: the gradient descents
    run in lockstep (:func:`mmcl.batched.fit_gd_batch`), a diverged one again alone
    with half the step; each end point is polished."""
    lr = np.broadcast_to(np.asarray(lr, dtype=float), (len(losses),))
    G1 = np.stack([g for g, _ in inits])
    G2 = np.stack([g for _, g in inits])
    run = fit_gd_batch(Xs, Ys, losses, steps=steps, lr=lr, init=(G1, G2))
    ends = []
    for b, loss in enumerate(losses):
        X, Y = Xs[b], Ys[b]
        if run.diverged[b]:
            ends.append(_critical_point(X, Y, r, loss, inits[b], steps, lr[b] / 2, gtol))
        else:
            ends.append(polish(X, Y, loss, init=(run.G1[b], run.G2[b]), gtol=gtol))
    return ends


def fixed_points(
    X, Y, r, losses, *, rng, steps: int = 200, lr: float = 0.05, init_scale=1e-2, truth=None
) -> FixedPoints:
    """Drive each loss to a critical point from one shared small start and read its SVD.

    For each loss (``rho > 0``): ``steps`` of gradient descent (step ``lr``, or
    ``lr / t`` for SigLIP, halved if it diverges), :func:`mmcl.polish`, then
    :func:`mmcl.spectral_selection` against the loss's own ``S(beta_hat)``.
    Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    X : array, shape (n, d1)
        Centred samples of modality 1.
    Y : array, shape (n, d2)
    r : int
    losses : sequence of LogitLoss, length L
        Each with ``rho > 0``.
    rng : numpy.random.Generator or int
        Draws the shared start ``N(0, init_scale^2)``.
    steps : int >= 0
    lr : float > 0
    init_scale : float > 0
    truth : array, shape (d1, k), optional
        Basis to measure the subspace error against (e.g. ``model.U1``).

    Returns
    -------
    FixedPoints

    Examples
    --------
    >>> import mmcl
    >>> from mmcl.experiments.loss_to_svd import chapter_sample
    >>> from mmcl.experiments.loss_zoo_fits import fixed_points
    >>> X, Y, model = chapter_sample(40, rng=0)
    >>> out = fixed_points(X, Y, 3, [mmcl.infonce_loss(1.0, rho=4.0)], rng=1, steps=20)
    >>> out.selected.shape, bool(out.residual.max() < 1e-6)
    ((1, 3), True)
    """
    X, Y = as_pair(X, Y)
    d1, d2 = X.shape[1], Y.shape[1]
    r = as_rank(r, d1, d2)
    losses = list(losses)
    if not losses or not all(isinstance(f, LogitLoss) and f.rho > 0 for f in losses):
        raise ValueError("losses must be a non-empty sequence of mmcl losses, each with rho > 0")
    steps, lr = as_int(steps, "steps", low=0), as_positive(lr, "lr")
    scale = as_positive(init_scale, "init_scale")
    rng = as_generator(rng)
    init = (scale * rng.standard_normal((r, d1)), scale * rng.standard_normal((r, d2)))
    if truth is not None:
        truth = as_data(truth, "truth", min_rows=1)
    B = len(losses)
    lrs = [lr / getattr(loss, "t", 1.0) for loss in losses]
    with one_blas_thread():
        Xs, Ys = np.broadcast_to(X, (B, *X.shape)), np.broadcast_to(Y, (B, *Y.shape))
        ends = _critical_points(Xs, Ys, r, losses, [init] * B, steps, lrs)
        rows = [_fixed_point(X, Y, loss, end, truth) for loss, end in zip(losses, ends)]
    arrays = [np.array(column) for column in zip(*rows)]
    return FixedPoints(tuple(f.name for f in losses), *arrays)


def _fixed_point(X, Y, loss, end, truth):
    """SVD structure of one loss's critical point (a row of :class:`FixedPoints`)."""
    S = loss.cross_covariance(end.G1, end.G2, X, Y)
    coef, sel, res = spectral_selection(end.G1, end.G2, S, rho=loss.rho)
    grad = max(np.abs(g).max() for g in loss.gradient(end.G1, end.G2, X, Y))
    err = np.nan if truth is None else sin_theta(end.G1.T, truth)
    return end.G1, end.G2, np.linalg.svd(S, compute_uv=False), coef, sel, res, grad, err


#: Methods of the side-by-side comparison, in the order of :class:`SideBySide`'s method axis.
METHODS = ("linear (PLS-SVD)", "CCA", "PCA", "InfoNCE", "SigLIP")


def comparison_losses(n: int, *, rho: float = 4.0) -> dict:
    """The nonlinear losses of the comparison, with one dimensionless regularisation.

    InfoNCE with ``tau = 1`` (CLIP, its symmetric form, behaves alike); SigLIP with
    ``t = 1`` and the balanced bias ``b = -log(n - 1)``; both with weight ``rho`` (so
    ``tau rho = rho / t^2 = rho``).
    Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    n : int >= 3
        Number of pairs (sets SigLIP's bias).
    rho : float > 0

    Returns
    -------
    dict
        Method name -> LogitLoss.

    Examples
    --------
    >>> from mmcl.experiments.loss_zoo_fits import comparison_losses
    >>> sorted(comparison_losses(200))
    ['InfoNCE', 'SigLIP']
    """
    n = as_int(n, "n", low=3)
    rho = as_positive(rho, "rho")
    return {
        "InfoNCE": infonce_loss(tau=1.0, rho=rho),
        "SigLIP": siglip_loss(t=1.0, b=-np.log(n - 1.0), rho=rho),
    }


@dataclass(frozen=True)
class SideBySide:
    """Every method on the same samples: subspace error, latent ``1 - R^2`` and weights.

    Returned by :func:`side_by_side`; entry ``[s, e, m]`` belongs to seed ``s``,
    ``epss[e]`` and ``METHODS[m]``. Introduced in the chapter `loss_zoo`.

    Attributes
    ----------
    epss : ndarray, shape (E,)
    methods : tuple of str, length M
    error : ndarray, shape (seeds, E, M)
        ``||sin Theta||_F`` between the row space of ``G1`` and ``span(U1)``.
    unexplained : ndarray, shape (seeds, E, M)
        :func:`~mmcl.experiments.loss_zoo.latent_unexplained` of ``G1``.
    wrong_weight : ndarray, shape (seeds, E, M)
        Mean ``beta_ii`` of the wrongly matched pairs over that of the correct
        ones, at the end point (1 = uniform; NaN for the methods without a
        loss and where ``eps = 0``).
    selected_top : ndarray of bool, shape (seeds, E, M)
        Whether the end point selects the top ``r`` triples of its ``S(beta_hat)``
        (True for the closed forms).
    """

    epss: np.ndarray
    methods: tuple
    error: np.ndarray
    unexplained: np.ndarray
    wrong_weight: np.ndarray
    selected_top: np.ndarray


def side_by_side(
    model, n: int, *, epss, seeds: int = 5, rng, rho: float = 4.0, steps: int = 100
) -> SideBySide:
    """Fit every method of :data:`METHODS` on the same centred samples, for each ``eps``.

    Closed forms: PLS-SVD (:func:`mmcl.fit_svd`), CCA (:func:`mmcl.fit_cca`), PCA of
    modality 1 (the spectral loss is represented by CCA, its minimiser up to an
    ``O(1/n)`` term); InfoNCE and SigLIP (:func:`comparison_losses`) are driven by
    gradient descent from a small start, then :func:`mmcl.polish`. Each seed draws
    one sample of latents, noise and mismatch coins, shared by every ``eps``
    (common random numbers). Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    model : TwoModalityModel
    n : int
        Pairs per sample.
    epss : sequence of float in [0, 1], length E
        Mismatch probabilities.
    seeds : int >= 1
    rng : numpy.random.Generator or int
    rho : float > 0
        Dimensionless regularisation of the nonlinear losses.
    steps : int >= 0
        Gradient-descent steps before the polish.

    Returns
    -------
    SideBySide

    Examples
    --------
    >>> import mmcl
    >>> from mmcl.experiments.loss_zoo_fits import side_by_side
    >>> model = mmcl.make_model(5, 4, 2, rng=0, signal=4.0)
    >>> out = side_by_side(model, 40, epss=[0.0, 0.5], seeds=1, rng=1, steps=10)
    >>> out.error.shape
    (1, 2, 5)
    """

    if not isinstance(model, TwoModalityModel):
        raise TypeError(f"model must be a TwoModalityModel (mmcl.make_model); got {model!r}")
    n = as_int(n, "n", low=max(model.U1.shape[0], model.U2.shape[0]) + 2)
    epss = np.array([as_probability(e, "epss") for e in np.atleast_1d(epss)])
    r = model.r
    nonlinear = comparison_losses(n, rho=rho)
    shape = (as_int(seeds, "seeds", low=1), epss.size, len(METHODS))
    error, unexplained, wrong = (
        np.full(shape, np.nan),
        np.full(shape, np.nan),
        np.full(shape, np.nan),
    )
    top = np.ones(shape, dtype=bool)
    rng = as_generator(rng)
    batch = sample_batch(model, shape[0], n, rng=rng)
    starts = [
        (
            1e-2 * rng.standard_normal((r, model.U1.shape[0])),
            1e-2 * rng.standard_normal((r, model.U2.shape[0])),
        )
        for _ in range(shape[0])
    ]
    problems = [(s, e) for s in range(shape[0]) for e in range(epss.size)]
    Xs = np.stack([batch.X[s] - batch.X[s].mean(0) for s, _ in problems])
    Ys = np.stack([batch.Y(model, eps) for eps in epss], axis=1).reshape(-1, n, model.U2.shape[0])
    Ys = Ys - Ys.mean(axis=1, keepdims=True)
    inits = [starts[s] for s, _ in problems]
    with one_blas_thread():
        ends = {
            name: (
                loss,
                _critical_points(Xs, Ys, r, [loss] * len(problems), inits, steps, 0.05, 1e-7),
            )
            for name, loss in nonlinear.items()
        }
        for k, (s, e) in enumerate(problems):
            mine = {name: (loss, found[k]) for name, (loss, found) in ends.items()}
            row = _all_methods(model, Xs[k], Ys[k], batch.u[s] < epss[e], mine)
            error[s, e], unexplained[s, e], wrong[s, e], top[s, e] = row
    return SideBySide(epss, METHODS, error, unexplained, wrong, top)


def _all_methods(model, X, Y, wrong_pairs, ends):
    """Subspace error, latent ``1 - R^2``, wrong/correct positive weight and top-r selection
    of every method of :data:`METHODS` on one centred sample (``ends``: name -> (loss,
    critical point) of the nonlinear losses)."""
    r = model.r
    fits = {"linear (PLS-SVD)": fit_svd(X, Y, r).G1, "CCA": fit_cca(X, Y, r).G1, "PCA": pca(X, r)}
    fits.update({name: end.G1 for name, (_, end) in ends.items()})
    out = np.full((4, len(METHODS)), np.nan)
    out[3] = 1.0
    for m, name in enumerate(METHODS):
        out[0, m] = sin_theta(fits[name].T, model.U1)
        out[1, m] = latent_unexplained(model, fits[name])
        if name not in ends:
            continue
        loss, end = ends[name]
        beta = np.diag(loss.weights(end.G1, end.G2, X, Y))
        if wrong_pairs.any() and (~wrong_pairs).any():
            out[2, m] = beta[wrong_pairs].mean() / beta[~wrong_pairs].mean()
        S = loss.cross_covariance(end.G1, end.G2, X, Y)
        selected = spectral_selection(end.G1, end.G2, S, rho=loss.rho)[1]
        out[3, m] = np.array_equal(selected, np.arange(r))
    return out
