"""Reproduction of Nakada et al. (2023), Section 5.1, for the chapter `unpaired`.

The paper's procedure (:func:`mmcl.paper_procedure`, the paper's baseline)
next to the book's closed-form routes on the same data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._checks import as_generator, as_int
from .._threads import one_blas_thread
from ..data import make_model, sample_unpaired
from ..metrics import detection_scores, retrieval_accuracy
from ..paper_baseline import paper_procedure
from ..solvers import fit_svd
from ..unpaired import fit_with_pairs, fit_with_unpaired

__all__ = ["PaperReproduction", "paper_reproduction"]


@dataclass(frozen=True)
class PaperReproduction:
    """Top-1 retrieval accuracies (cosine, x -> y) of :func:`paper_reproduction`.

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    Ns : ndarray of int, shape (N,)
    paper : ndarray, shape (seeds, N)
        The paper's procedure with ``N`` unpaired samples.
    paper_pairs : ndarray, shape (seeds,)
        The paper's procedure after its epochs on the pairs only.
    paper_pairs_long : ndarray, shape (seeds,) or None
        The same with ``long_epochs`` epochs, if requested.
    svd_pairs : ndarray, shape (seeds,)
        :func:`mmcl.fit_svd` on the pairs.
    covariance_only : ndarray, shape (seeds, N)
        The unpaired samples through their covariances only: PCA subspaces of all samples
        (isotropic noise: the spike count is ``r``), aligned by CCA on the pairs
        (:func:`mmcl.fit_with_pairs` with ``whiten=True`` and no pseudo-pairs).
    raw_unpaired : ndarray, shape (seeds, N)
        :func:`mmcl.fit_with_unpaired` with ``whiten=False`` (the plain algorithm), matching
        within the batches.
    svd_unpaired : ndarray, shape (seeds, N)
        :func:`mmcl.fit_with_unpaired` (the default), matching within the batches.
    recall : ndarray, shape (seeds, N)
        Detection recall of the default.
    ceiling : ndarray, shape (seeds,)
        The true ``U1``, ``U2`` as encoders.
    time_paper, time_svd_pairs, time_svd_unpaired : float
        Wall-clock seconds (all lanes; all seeds; all seeds and Ns of the default).
    """

    Ns: np.ndarray
    paper: np.ndarray
    paper_pairs: np.ndarray
    paper_pairs_long: np.ndarray | None
    svd_pairs: np.ndarray
    covariance_only: np.ndarray
    raw_unpaired: np.ndarray
    svd_unpaired: np.ndarray
    recall: np.ndarray
    ceiling: np.ndarray
    time_paper: float
    time_svd_pairs: float
    time_svd_unpaired: float


def paper_reproduction(
    *,
    Ns,
    seeds: int = 2,
    rng,
    n: int = 300,
    n_test: int = 10_000,
    d1: int = 40,
    d2: int = 39,
    r: int = 10,
    noise_sd: float = 0.3,
    batch_size: int = 50,
    target_fdr: float = 0.1,
    epochs: int = 100,
    long_epochs: int | None = None,
) -> PaperReproduction:
    """Nakada et al. (2023), Section 5.1: retrieval accuracy with unpaired data.

    Per seed: a model with random orthonormal ``U1`` (d1 x r), ``U2``
    (d2 x r), ``z ~ N(0, I)``, isotropic noise ``noise_sd``; ``n`` pairs;
    ``max(Ns)`` unpaired samples whose partners are hidden inside consecutive
    batches of ``batch_size`` (every unpaired x has its partner), of which the
    first ``N`` are used; ``n_test`` test pairs. Routes: the paper's
    procedure (all ``N`` and seeds as lanes of one run), the closed-form SVD
    on the pairs, the covariance-only route, both families of
    :func:`mmcl.fit_with_unpaired` (matching within the batches), and the
    ceiling given by the true ``U1``, ``U2``. Introduced in the chapter
    `unpaired`.

    Parameters
    ----------
    Ns : sequence of int
        Numbers of unpaired samples (multiples of ``batch_size``).
    seeds : int
    rng : numpy.random.Generator or int
    n, n_test, d1, d2, r : int
    noise_sd : float
    batch_size : int
    target_fdr : float in (0, 1)
    epochs : int
        Epochs on the pairs and on the unpaired samples.
    long_epochs : int, optional
        Also train on the pairs only for this many epochs.

    Returns
    -------
    PaperReproduction

    Examples
    --------
    >>> from mmcl.experiments.paper import paper_reproduction
    >>> out = paper_reproduction(Ns=[20], seeds=1, rng=0, n=40, n_test=50, d1=6, d2=5, r=2,
    ...                          batch_size=10, epochs=2)
    >>> out.paper.shape, out.svd_pairs.shape
    ((1, 1), (1,))
    """
    Ns = np.array([as_int(N, "Ns", low=0) for N in np.atleast_1d(Ns)])
    if np.any(Ns % as_int(batch_size, "batch_size", low=2)):
        raise ValueError(f"Ns must be multiples of batch_size = {batch_size}; got {Ns.tolist()}")
    seeds = as_int(seeds, "seeds", low=1)
    rng = as_generator(rng)
    models, pairs, un, tests = [], [], [], []
    for seed in rng.integers(2**63 - 1, size=seeds):
        child = np.random.default_rng(int(seed))
        models.append(make_model(d1, d2, r, rng=child, noise_sd=noise_sd))
        pairs.append(models[-1].sample(n, rng=child))
        un.append(sample_unpaired(models[-1], int(Ns.max()), batch_size=batch_size, rng=child))
        tests.append(models[-1].sample(n_test, rng=child))

    # Small products and eigendecompositions: threads cost more than they save.
    with one_blas_thread():

        def acc(G1, G2, t):
            return retrieval_accuracy(t.X @ G1.T, t.Y @ G2.T)

        t0 = time.perf_counter()
        fit = paper_procedure(
            np.stack([p.X for p in pairs for _ in Ns]),
            np.stack([p.Y for p in pairs for _ in Ns]),
            [u.Xu[:N] for u in un for N in Ns],
            [u.Yu[:N] for u in un for N in Ns],
            r,
            rng=rng,
            epochs=epochs,
            unpaired_epochs=epochs,
            batch_size=batch_size,
        )
        time_paper = time.perf_counter() - t0
        lanes = np.arange(seeds * Ns.size).reshape(seeds, Ns.size)
        paper = np.array(
            [[acc(fit.G1[k], fit.G2[k], tests[s]) for k in lanes[s]] for s in range(seeds)]
        )
        paper_pairs = np.array(
            [
                acc(fit.G1_pairs[lanes[s, 0]], fit.G2_pairs[lanes[s, 0]], tests[s])
                for s in range(seeds)
            ]
        )
        paper_pairs_long = None
        if long_epochs is not None:
            empty = [u.Xu[:0] for u in un], [u.Yu[:0] for u in un]
            long = paper_procedure(
                np.stack([p.X for p in pairs]),
                np.stack([p.Y for p in pairs]),
                *empty,
                r,
                rng=rng,
                epochs=long_epochs,
                unpaired_epochs=0,
                batch_size=batch_size,
            )
            paper_pairs_long = np.array(
                [acc(long.G1[s], long.G2[s], tests[s]) for s in range(seeds)]
            )
        t0 = time.perf_counter()
        svd = [fit_svd(p.X, p.Y, r) for p in pairs]
        time_svd_pairs = time.perf_counter() - t0

        def fits(**options):
            return [
                [
                    fit_with_unpaired(
                        p.X,
                        p.Y,
                        u.Xu[:N],
                        u.Yu[:N],
                        r,
                        batch_size=batch_size,
                        matching="dense",
                        target_fdr=target_fdr,
                        **options,
                    )  # fmt: skip
                    for N in Ns
                ]
                for p, u in zip(pairs, un)
            ]

        t0 = time.perf_counter()
        default = fits()
        time_svd_unpaired = time.perf_counter() - t0
        raw = fits(whiten=False)
        empty = np.empty((0, 2), int)
        cov = [
            [fit_with_pairs(p.X, p.Y, u.Xu[:N], u.Yu[:N], r, pairs=empty, whiten=True) for N in Ns]
            for p, u in zip(pairs, un)
        ]
        truth = [[u.truth[u.truth[:, 0] < N] for N in Ns] for u in un]

        def table(rows):
            return np.array([[acc(f.G1, f.G2, t) for f in row] for row, t in zip(rows, tests)])

        return PaperReproduction(
            Ns=Ns,
            paper=paper,
            paper_pairs=paper_pairs,
            paper_pairs_long=paper_pairs_long,
            svd_pairs=np.array([acc(f.G1, f.G2, t) for f, t in zip(svd, tests)]),
            covariance_only=table(cov),
            raw_unpaired=table(raw),
            svd_unpaired=table(default),
            recall=np.array(
                [
                    [detection_scores(f.pairs, T)[1] for f, T in zip(row, trow)]
                    for row, trow in zip(default, truth)
                ]
            ),
            ceiling=np.array([acc(m.U1.T, m.U2.T, t) for m, t in zip(models, tests)]),
            time_paper=time_paper,
            time_svd_pairs=time_svd_pairs,
            time_svd_unpaired=time_svd_unpaired,
        )
