"""Experiments of the chapter `multiview` on six real views of 2,000 digits: which method finds
the information two views share, and what unpaired digits buy.

Runners return frozen dataclasses (split axis first; no plotting); the figures and the explorer
live in ``mmcl.figures.multiview``; mismatched pairs and their cleaning are in
:mod:`mmcl.experiments.multiview_cleaning`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_generator, as_int, as_nonnegative
from .._threads import one_blas_thread
from ..baselines import pca, unimodal_contrastive
from ..cca import fit_cca
from ..cleaning import ENCODERS
from ..losses import clip_loss
from ..metrics import detection_scores, probe_accuracy
from ..solvers import fit_svd
from ..unpaired import fit_with_unpaired
from ._views import check_views, fit_encoders, retrieval_scores, standardise, train_test

__all__ = [
    "VIEW_PAIRS",
    "METHODS",
    "ViewBenchmark",
    "view_benchmark",
    "UNPAIRED_ROUTES",
    "RealUnpaired",
    "real_unpaired",
]

#: View pairs of the chapter, from easy to hard, each as (modality 1, modality 2).
VIEW_PAIRS = (("pix", "kar"), ("fac", "kar"), ("fou", "zer"))

#: Methods of :func:`view_benchmark`, in order.
METHODS = (
    "PLS-SVD",
    "PLS-SVD, centred only",
    "CCA",
    "CLIP (SGD)",
    "unimodal CL",
    "PCA",
    "raw features",
)


def _clip_sgd(X, Y, r, *, tau, lr, epochs, batch, rng):
    """CLIP by minibatch gradient descent: one step of :func:`mmcl.fit_gd` per batch, taken
    through the embeddings' gradient (``dL/dG1 = dL/dE1^T X``; no regulariser)."""
    loss = clip_loss(tau=tau)
    G1 = 1e-2 * rng.standard_normal((r, X.shape[1]))
    G2 = 1e-2 * rng.standard_normal((r, Y.shape[1]))
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        for start in range(0, X.shape[0] - batch + 1, batch):
            i = order[start : start + batch]
            Xb, Yb = X[i], Y[i]
            _, dE1, dE2 = loss.embedding_gradient(Xb @ G1.T, Yb @ G2.T)
            G1, G2 = G1 - lr * (dE1.T @ Xb), G2 - lr * (dE2.T @ Yb)
        if not (np.isfinite(G1).all() and np.isfinite(G2).all()):
            raise FloatingPointError(f"CLIP's gradient descent diverged; lower clip_lr (now {lr})")
    return G1, G2


# --- real data: which method finds the shared information ----------------------------------


@dataclass(frozen=True)
class ViewBenchmark:
    """Retrieval and probes of seven methods on pairs of views (see :func:`view_benchmark`).

    Introduced in the chapter `multiview`.

    Attributes
    ----------
    pairs : tuple of (str, str)
        View pairs (P of them): modality 1, modality 2.
    methods : tuple of str
        The M methods, :data:`METHODS`.
    retrieval : ndarray, shape (splits, P, M)
        Top-1 retrieval of each test digit's modality-2 view from its modality-1
        view, among all test digits (cosine); ``nan`` for methods without a shared
        space (unimodal CL, PCA, raw features).
    same_class : ndarray, shape (splits, P, M)
        How often the retrieved test digit is the same digit (0-9).
    probe : ndarray, shape (splits, P, M)
        Linear-probe accuracy on the modality-1 embedding (raw features: on the
        standardised modality-1 view).
    chance : float
        ``1 / n_test``, the chance level of retrieval.
    """

    pairs: tuple
    methods: tuple
    retrieval: np.ndarray
    same_class: np.ndarray
    probe: np.ndarray
    chance: float


def view_benchmark(
    views,
    labels,
    *,
    pairs=VIEW_PAIRS,
    r: int = 10,
    splits: int = 5,
    n_train: int = 1500,
    ridge: float = 0.01,
    clip_tau: float = 1.0,
    clip_lr: float = 0.1,
    clip_epochs: int = 5,
    clip_batch: int = 100,
    rng,
) -> ViewBenchmark:
    """Linear MMCL (PLS-SVD), CCA, CLIP, unimodal CL, PCA and raw features on real view pairs.

    Each split draws ``n_train`` training digits at random (the rest are the
    test digits) and standardises every view with the training mean and
    standard deviation (z-scores; the line "PLS-SVD, centred only" only
    centres). Methods: ``fit_svd`` (PLS-SVD, the linear loss), ``fit_cca``
    with ``ridge``, CLIP by minibatch gradient descent (``fit_gd`` one step per
    batch of ``clip_batch`` pairs, ``clip_epochs`` epochs from a small random
    start, temperature ``clip_tau``), ``unimodal_contrastive`` and ``pca`` on
    modality 1, and the raw modality-1 features (probe only). Introduced in the
    chapter `multiview`.

    Parameters
    ----------
    views : dict of str -> array, shape (N, d_view)
        As :func:`mmcl.load_multiple_features` returns them.
    labels : array of int, shape (N,)
    pairs : sequence of (str, str)
    r : int
        Representation dimension.
    splits : int
    n_train : int
    ridge : float >= 0
        Ridge of CCA, relative to the mean eigenvalue.
    clip_tau, clip_lr : float > 0
    clip_epochs, clip_batch : int
    rng : numpy.random.Generator or int

    Returns
    -------
    ViewBenchmark

    Examples
    --------
    >>> import mmcl
    >>> from mmcl.experiments.multiview import view_benchmark
    >>> views, labels = mmcl.load_multiple_features()
    >>> out = view_benchmark(views, labels, pairs=[("mor", "zer")], r=3, splits=1,
    ...                      clip_epochs=1, rng=0)
    >>> out.retrieval.shape, round(out.chance, 3)
    ((1, 1, 7), 0.002)
    """
    labels, pairs = check_views(views, labels, pairs)
    splits = as_int(splits, "splits", low=1)
    n_train = as_int(n_train, "n_train", low=max(clip_batch, 3), high=labels.shape[0] - 2)
    ridge = as_nonnegative(ridge, "ridge")
    clip_epochs = as_int(clip_epochs, "clip_epochs", low=1)
    clip_batch = as_int(clip_batch, "clip_batch", low=2)
    rng = as_generator(rng)
    shape = (splits, len(pairs), len(METHODS))
    retrieval, same, probe = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    with one_blas_thread():
        for s in range(splits):
            train, test = train_test(labels.shape[0], n_train, rng)
            ytr, yte = labels[train], labels[test]
            for p, (a, b) in enumerate(pairs):
                Xtr, Xte = standardise(views[a], train, test)
                Ytr, Yte = standardise(views[b], train, test)
                Xc, Xct = standardise(views[a], train, test, zscore=False)
                Yc, Yct = standardise(views[b], train, test, zscore=False)
                encoders = {
                    "PLS-SVD": fit_svd(Xtr, Ytr, r),
                    "CCA": fit_cca(Xtr, Ytr, r, ridge=ridge),
                }
                encoders = {k: (f.G1, f.G2) for k, f in encoders.items()}
                encoders["CLIP (SGD)"] = _clip_sgd(
                    Xtr,
                    Ytr,
                    r,
                    tau=clip_tau,
                    lr=clip_lr,
                    epochs=clip_epochs,
                    batch=clip_batch,
                    rng=rng,
                )
                encoders["unimodal CL"] = (unimodal_contrastive(Xtr, r, rng=rng), None)
                encoders["PCA"] = (pca(Xtr, r), None)
                encoders["raw features"] = (np.eye(Xtr.shape[1]), None)
                centred = fit_svd(Xc, Yc, r)
                for m, method in enumerate(METHODS):
                    if method == "PLS-SVD, centred only":
                        G1, G2, A, At, Bt = centred.G1, centred.G2, Xc, Xct, Yct
                    else:
                        (G1, G2), A, At, Bt = encoders[method], Xtr, Xte, Yte
                    probe[s, p, m] = probe_accuracy(A @ G1.T, ytr, At @ G1.T, yte)
                    if G2 is not None:
                        retrieval[s, p, m], same[s, p, m] = retrieval_scores(
                            At @ G1.T, Bt @ G2.T, yte
                        )
    return ViewBenchmark(
        pairs=pairs,
        methods=METHODS,
        retrieval=retrieval,
        same_class=same,
        probe=probe,
        chance=1.0 / (labels.shape[0] - n_train),
    )


# --- real data: unpaired digits -------------------------------------------------------------

#: Routes of :func:`real_unpaired`, in order.
UNPAIRED_ROUTES = (
    "pairs only: PLS-SVD",
    "pairs only: CCA",
    "PCA on all, CCA on pairs",
    "with unpaired: fit_with_unpaired",
    "all pairs known: PLS-SVD",
    "all pairs known: CCA",
)


@dataclass(frozen=True)
class RealUnpaired:
    """Real views whose pairing is hidden for most training digits (see :func:`real_unpaired`).

    Introduced in the chapter `multiview`.

    Attributes
    ----------
    pairs : tuple of (str, str)
        P view pairs.
    routes : tuple of str
        The R routes, :data:`UNPAIRED_ROUTES`.
    retrieval : ndarray, shape (splits, P, R)
        Top-1 test retrieval of each route.
    precision, recall : ndarray, shape (splits, P)
        Of the pairs :func:`mmcl.fit_with_unpaired` detected, against the hidden truth.
    chance : float
    """

    pairs: tuple
    routes: tuple
    retrieval: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    chance: float


def real_unpaired(
    views,
    labels,
    *,
    pairs=VIEW_PAIRS[:2],
    n_pairs: int = 100,
    n_unpaired: int = 400,
    splits: int = 3,
    r: int = 10,
    n_test: int = 500,
    ridge: float = 0.01,
    pca_dims: int = 30,
    rng,
) -> RealUnpaired:
    """Few known pairs, many digits seen in both views but with their pairing hidden.

    Each split draws ``n_test`` test digits, ``n_pairs`` training pairs and
    ``n_unpaired`` further digits whose modality-2 rows are shuffled (the
    pairing is hidden; every unpaired ``x`` has its partner among the unpaired
    ``y``). All views are z-scored with the statistics of every training digit.
    Routes: PLS-SVD and CCA on the pairs; PCA of each view on all training
    digits to ``pca_dims`` dimensions, then CCA on the pairs; :func:`mmcl.fit_with_unpaired`
    with its defaults; and both encoders with every training pair known.
    Introduced in the chapter `multiview`.

    Parameters
    ----------
    views : dict of str -> array, shape (N, d_view)
    labels : array of int, shape (N,)
    pairs : sequence of (str, str)
    n_pairs, n_unpaired, n_test : int
    splits : int
    r : int
    ridge : float >= 0
        Ridge of CCA (relative to the mean eigenvalue).
    pca_dims : int
        Dimensions kept by PCA in the simple route.
    rng : numpy.random.Generator or int

    Returns
    -------
    RealUnpaired

    Examples
    --------
    >>> import mmcl
    >>> from mmcl.experiments.multiview import real_unpaired
    >>> views, labels = mmcl.load_multiple_features()
    >>> out = real_unpaired(views, labels, pairs=[("mor", "zer")], n_pairs=30, n_unpaired=40,
    ...                     splits=1, r=2, pca_dims=4, rng=0)
    >>> out.retrieval.shape
    (1, 1, 6)
    """
    labels, pairs = check_views(views, labels, pairs)
    N = labels.shape[0]
    n_test = as_int(n_test, "n_test", low=2, high=N - 4)
    n_pairs = as_int(n_pairs, "n_pairs", low=2, high=N - n_test - 1)
    n_unpaired = as_int(n_unpaired, "n_unpaired", low=1, high=N - n_test - n_pairs)
    splits = as_int(splits, "splits", low=1)
    pca_dims = as_int(pca_dims, "pca_dims", low=r)
    rng = as_generator(rng)
    retrieval = np.full((splits, len(pairs), len(UNPAIRED_ROUTES)), np.nan)
    precision, recall = np.full((splits, len(pairs)), np.nan), np.full((splits, len(pairs)), np.nan)
    for s in range(splits):
        order = rng.permutation(N)
        test, train = order[:n_test], order[n_test : n_test + n_pairs + n_unpaired]
        hidden = rng.permutation(n_unpaired)  # Yu[j] is the partner of Xu[hidden[j]]
        truth = np.column_stack([hidden, np.arange(n_unpaired)])
        for p, (a, b) in enumerate(pairs):
            Xtr, Xte = standardise(views[a], train, test)
            Ytr, Yte = standardise(views[b], train, test)
            X, Y, Xu, Yu = Xtr[:n_pairs], Ytr[:n_pairs], Xtr[n_pairs:], Ytr[n_pairs:][hidden]
            with one_blas_thread():
                V1, V2 = (
                    pca(Xtr, min(pca_dims, Xtr.shape[1])),
                    pca(Ytr, min(pca_dims, Ytr.shape[1])),
                )
                reduced = fit_cca(X @ V1.T, Y @ V2.T, r, ridge=ridge)
                routes = [
                    fit_encoders(X, Y, r, "pls", ridge),
                    fit_encoders(X, Y, r, "cca", ridge),
                    (reduced.G1 @ V1, reduced.G2 @ V2),
                ]
            found = fit_with_unpaired(X, Y, Xu, Yu, r)
            routes.append((found.G1, found.G2))
            with one_blas_thread():
                routes += [fit_encoders(Xtr, Ytr, r, enc, ridge) for enc in ENCODERS]
            for k, (G1, G2) in enumerate(routes):
                retrieval[s, p, k] = retrieval_scores(Xte @ G1.T, Yte @ G2.T, labels[test])[0]
            precision[s, p], recall[s, p] = detection_scores(found.pairs, truth)
    return RealUnpaired(
        pairs=pairs,
        routes=UNPAIRED_ROUTES,
        retrieval=retrieval,
        precision=precision,
        recall=recall,
        chance=1.0 / n_test,
    )
