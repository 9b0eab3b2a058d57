"""Experiments of the chapter `robustness` that fit one sample at a time.

CLIP trained by gradient descent against the closed-form linear loss under
mismatch, and the digit halves as real paired data. Runners return
dataclasses (no plotting); the figures live in ``mmcl.figures.robustness``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_generator, as_int, as_positive, as_probability
from .._threads import one_blas_thread
from ..baselines import pca, unimodal_contrastive
from ..data import TwoModalityModel, mismatch
from ..datasets import load_digit_halves
from ..losses import clip_loss
from ..metrics import probe_accuracy, retrieval_accuracy, sin_theta
from ..solvers import fit_gd, fit_svd

__all__ = ["ClipVsLinear", "clip_vs_linear", "DigitsSweep", "digits_sweep"]


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
    """

    steps: np.ndarray
    eps: np.ndarray
    tau: np.ndarray
    linear: np.ndarray
    clip: np.ndarray


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
) -> ClipVsLinear:
    """Subspace error of CLIP trained by gradient descent against the closed-form linear solution.

    For each seed and eps one centred sample of n pairs is drawn; the linear
    loss is solved in closed form (:func:`mmcl.fit_svd`) and CLIP with each
    temperature in ``taus`` is trained by :func:`mmcl.fit_gd` from the same
    small random start, recording ``||sin Theta||_F`` to ``span(U1)`` every
    ``record_every`` steps. Introduced in the chapter `robustness`.

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
    linear = np.empty((seeds, len(epss)))
    clip = np.empty((seeds, len(epss), len(taus), record.size))
    with one_blas_thread():
        for s in range(seeds):
            _clip_seed(
                model,
                n,
                epss,
                taus,
                rho,
                steps,
                lr,
                record_every,
                init_scale,
                rng,
                linear[s],
                clip[s],
            )
    return ClipVsLinear(
        steps=record, eps=np.array(epss), tau=np.array(taus), linear=linear, clip=clip
    )


def _clip_seed(model, n, epss, taus, rho, steps, lr, record_every, init_scale, rng, linear, clip):
    """One seed of :func:`clip_vs_linear`; fills ``linear`` (E,) and ``clip`` (E, T, K) in place."""
    for j, eps in enumerate(epss):
        sample = model.sample(n, eps=eps, rng=rng)
        X, Y = sample.X - sample.X.mean(axis=0), sample.Y - sample.Y.mean(axis=0)
        linear[j] = sin_theta(fit_svd(X, Y, model.r).G1.T, model.U1)
        start = rng.integers(2**32)
        for t, tau in enumerate(taus):
            fit = fit_gd(
                X,
                Y,
                model.r,
                clip_loss(tau=tau, rho=rho),
                steps=steps,
                lr=lr,
                rng=start,
                init_scale=init_scale,
                record_every=record_every,
            )
            clip[j, t] = [sin_theta(G1.T, model.U1) for _, G1, _ in fit.snapshots]


@dataclass(frozen=True)
class DigitsSweep:
    """Probe and retrieval accuracy on the digit halves (see :func:`digits_sweep`).

    Introduced in the chapter `robustness`.

    Attributes
    ----------
    eps : ndarray, shape (E,)
    probe_mmcl : ndarray, shape (seeds, E)
        Linear-probe accuracy on MMCL's embedding of held-out left halves.
    probe_unimodal_cl, probe_pca : ndarray, shape (seeds,)
        The same for the unimodal encoders (unaffected by mismatch).
    probe_raw : ndarray, shape (seeds,)
        The probe on the 32 raw pixels.
    retrieval : ndarray, shape (seeds, E)
        Top-1 retrieval accuracy of the right half from the left half (MMCL).
    chance : float
        ``1 / test_size``.
    """

    eps: np.ndarray
    probe_mmcl: np.ndarray
    probe_unimodal_cl: np.ndarray
    probe_pca: np.ndarray
    probe_raw: np.ndarray
    retrieval: np.ndarray
    chance: float


def digits_sweep(
    *, epss, r: int = 10, seeds: int = 10, rng, test_size: int = 500, ridge: float = 1e-3
) -> DigitsSweep:
    """Linear-probe and retrieval accuracy on the digit halves as pairs are broken.

    For each seed the 1797 digits are split at random into a test set of
    ``test_size`` and a training set; a fraction eps of the training pairs is
    mismatched (:func:`mmcl.mismatch`). MMCL (closed-form linear loss) learns
    ``G1, G2`` from the training pairs; unimodal CL and PCA learn an encoder
    from the left halves alone (unchanged by mismatch, so fitted once per
    seed). A ridge probe is trained on the embedded training left halves and
    tested on the embedded test left halves; retrieval is top-1 accuracy of
    finding each test right half from its left half (MMCL only: the unimodal
    encoders embed the two halves in unrelated coordinates). Introduced in the
    chapter `robustness`.

    Parameters
    ----------
    epss : sequence of float in [0, 1]
    r : int
        Representation dimension.
    seeds : int
    rng : numpy.random.Generator or int
    test_size : int
    ridge : float
        Ridge penalty of the probe (:func:`mmcl.probe_accuracy`).

    Returns
    -------
    DigitsSweep

    Examples
    --------
    >>> from mmcl.experiments import digits_sweep
    >>> out = digits_sweep(epss=[0.0, 0.5], r=5, seeds=2, rng=0)
    >>> out.probe_mmcl.shape, out.retrieval.shape
    ((2, 2), (2, 2))
    """
    epss = [as_probability(float(e), "epss") for e in np.atleast_1d(epss)]
    seeds = as_int(seeds, "seeds", low=1)
    rng = as_generator(rng)
    X, Y, labels = load_digit_halves()
    test_size = as_int(test_size, "test_size", low=1, high=X.shape[0] - 2)
    probe, retrieval = np.empty((seeds, len(epss))), np.empty((seeds, len(epss)))
    raw, uni, pc = np.empty(seeds), np.empty(seeds), np.empty(seeds)
    with one_blas_thread():
        for s in range(seeds):
            order = rng.permutation(X.shape[0])
            te, tr = order[:test_size], order[test_size:]

            def acc(G, tr=tr, te=te):
                return probe_accuracy(X[tr] @ G.T, labels[tr], X[te] @ G.T, labels[te], ridge=ridge)

            raw[s] = probe_accuracy(X[tr], labels[tr], X[te], labels[te], ridge=ridge)
            uni[s] = acc(unimodal_contrastive(X[tr], r, rng=rng))
            pc[s] = acc(pca(X[tr], r))
            for j, eps in enumerate(epss):
                Ytr, _ = mismatch(Y[tr], eps, rng=rng)
                fit = fit_svd(X[tr], Ytr, r)
                probe[s, j] = acc(fit.G1)
                # Cosine similarity needs embeddings of centred data (training means).
                retrieval[s, j] = retrieval_accuracy(
                    (X[te] - X[tr].mean(axis=0)) @ fit.G1.T, (Y[te] - Ytr.mean(axis=0)) @ fit.G2.T
                )
    return DigitsSweep(
        eps=np.array(epss),
        probe_mmcl=probe,
        probe_unimodal_cl=uni,
        probe_pca=pc,
        probe_raw=raw,
        retrieval=retrieval,
        chance=1.0 / test_size,
    )
