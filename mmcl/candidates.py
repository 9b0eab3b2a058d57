"""Scores of candidate pairs and the decoy-calibrated matching step.

A score of the pair (row ``i`` of ``Xu``, row ``j`` of ``Yu``) is bilinear plus per-row
terms, ``s_ij = <p_i, q_j> + u_i + v_j``: the cosine similarity of two embeddings, or the
Gaussian log-likelihood ratio of canonical variates. The *decoy* problem replaces every
``y`` by ``-y`` (``q -> -q``, ``v`` unchanged, being even in ``y``): true partners become the
least attractive pairs, so its best matches are matches of unrelated samples, and their
count above a price estimates the false discoveries of the real problem.

The matching step is solved on the full ``m1 x m2`` matrices (``method="dense"``,
:func:`mmcl.match_pairs`) or on sparse candidate graphs (``method="sparse"``): each row of
``Xu`` keeps its ``kappa`` best columns among those scoring above a floor, a floor below
which no price at a target FDR under 1/2 can fall. The same graph is built on the decoy
problem, so both problems are treated alike. Introduced in the chapter `unpaired`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ._checks import as_int, as_target_fdr
from .matching import (
    as_groups,
    best_match_values,
    decoy_threshold,
    group_blocks,
    match_pairs,
    sparse_match,
)

__all__ = [
    "BilinearScore",
    "cosine_score",
    "likelihood_ratio_score",
    "DecoyMatch",
    "match_with_decoy",
    "crossing_fraction",
]


@dataclass(frozen=True)
class BilinearScore:
    """Scores ``s_ij = <p_i, q_j> + u_i + v_j`` of rows ``i`` of ``Xu`` and ``j`` of ``Yu``.

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    p : ndarray, shape (m1, r)
    q : ndarray, shape (m2, r)
    u : ndarray, shape (m1,)
    v : ndarray, shape (m2,)
    """

    p: np.ndarray
    q: np.ndarray
    u: np.ndarray
    v: np.ndarray

    def mirrored(self) -> BilinearScore:
        """The decoy problem: every ``y`` replaced by ``-y``."""
        return BilinearScore(self.p, -self.q, self.u, self.v)

    def block(self, rows) -> np.ndarray:
        """Scores of the given rows against every column, shape (len(rows), m2)."""
        return self.p[rows] @ self.q.T + self.u[rows, None] + self.v[None, :]

    def sub(self, rows, cols) -> np.ndarray:
        """Scores of the given rows against the given columns, shape (len(rows), len(cols))."""
        return self.p[rows] @ self.q[cols].T + self.u[rows, None] + self.v[None, cols]

    def at(self, i, j) -> np.ndarray:
        """Scores of the pairs ``(i[t], j[t])``, shape (len(i),)."""
        return np.einsum("ij,ij->i", self.p[i], self.q[j]) + self.u[i] + self.v[j]


def cosine_score(E1, E2) -> BilinearScore:
    """Cosine similarities of embeddings ``E1`` (m1, r) and ``E2`` (m2, r).

    Introduced in the chapter `unpaired`.

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.candidates import cosine_score
    >>> cosine_score(np.array([[1.0, 0.0]]), np.array([[2.0, 2.0]])).block([0]).round(3)
    array([[0.707]])
    """
    tiny = np.finfo(float).tiny
    unit = [E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), tiny) for E in (E1, E2)]
    return BilinearScore(unit[0], unit[1], np.zeros(len(E1)), np.zeros(len(E2)))


def likelihood_ratio_score(A, B, correlations, *, max_correlation: float = 0.95):
    """Gaussian log-likelihood ratio of "same latent" against "independent", up to a constant.

    ``A`` (m1, r) and ``B`` (m2, r) are canonical variates with unit variance whose coordinate
    ``t`` has correlation ``c_t`` for a true pair and 0 otherwise. Up to a constant the log
    ratio of the two Gaussian densities is ``sum_t g_t a_t b_t - h_t (a_t^2 + b_t^2)`` with
    ``g_t = c_t / (1 - c_t^2)`` and ``h_t = c_t^2 / (2 (1 - c_t^2))``; unlike the cosine it uses
    the norms (a pair of two large variates is more telling than a pair of two small ones).
    The correlations are clipped to ``[0, max_correlation]``: estimated on few pairs they are
    biased upwards. Introduced in the chapter `unpaired`.

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.candidates import likelihood_ratio_score
    >>> s = likelihood_ratio_score(np.array([[2.0]]), np.array([[2.0], [-2.0]]), [0.6])
    >>> s.block([0]).round(3)   # the same sign is evidence for a pair
    array([[ 1.5, -6. ]])
    """
    c = np.clip(np.asarray(correlations, dtype=float), 0.0, max_correlation)
    g, h = c / (1 - c**2), c**2 / (2 * (1 - c**2))
    return BilinearScore(A * g, B, -(A**2) @ h, -(B**2) @ h)


@dataclass(frozen=True)
class DecoyMatch:
    """Result of :func:`match_with_decoy`.

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    pairs : ndarray of int, shape (k, 2)
        Matched ``(row of Xu, row of Yu)`` with score above ``theta``, sorted by row.
    values : ndarray, shape (k,)
        Their scores.
    theta : float
        The price (``+inf`` when nothing passes).
    real, decoy : ndarray
        Scores of the maximum matchings of the real and of the decoy problem before the price
        (sparse: on the graphs above the floor), from which ``theta`` was set.
    """

    pairs: np.ndarray
    values: np.ndarray
    theta: float
    real: np.ndarray
    decoy: np.ndarray

    @property
    def n_decoy(self) -> int:
        """The number of decoy matches above the price; ``(1 + n_decoy) / k`` estimates the FDR."""
        return int(np.sum(self.decoy > self.theta))


def _pilot_rows(m1: int, rows: int) -> np.ndarray:
    return np.unique(np.linspace(0, m1 - 1, min(rows, m1)).astype(int))


def _allowed(groups, idx):
    return None if groups is None else groups[0][idx, None] == groups[1][None, :]


def _scored_blocks(score: BilinearScore, block: int):
    """Rows in blocks of ``block``: ``(idx, H)`` with ``H_ij = <p_i, q_j> + v_j``.

    The real scores of the block are ``H + u_i``, its decoy scores ``2 v_j - H + u_i``.
    """
    m1 = score.p.shape[0]
    qT = np.ascontiguousarray(score.q.T)
    for start in range(0, m1, block):
        idx = np.arange(start, min(start + block, m1))
        H = score.p[idx] @ qT
        H += score.v
        yield idx, H


def _floor(score: BilinearScore, groups, blocks) -> float:
    """Median over rows of the best decoy score: no price at a target FDR below 1/2 is lower.

    A price below the median best decoy score would admit about half of the rows as decoy
    discoveries, which no target FDR below 1/2 allows. One pass over all rows in blocks
    (``(idx, H)`` from :func:`_scored_blocks`; the result does not depend on their order).
    """
    best = np.empty(score.p.shape[0])
    v2 = 2.0 * score.v
    for idx, H in blocks:
        D = np.subtract(v2, H)  # the decoy scores minus u_i: a row's maximum is unchanged
        allowed = _allowed(groups, idx)
        best[idx] = (D if allowed is None else np.where(allowed, D, -np.inf)).max(axis=1)
        best[idx] += score.u[idx]
    best = best[np.isfinite(best)]
    return float(np.median(best)) if best.size else np.inf


def _top_above(S, mask, kappa: int):
    """Entries of ``S`` (B, m2) where ``mask``, at most the ``kappa`` largest of each row."""
    i, j = np.nonzero(mask)
    counts = np.bincount(i, minlength=S.shape[0])
    crowded = np.flatnonzero(counts > kappa)
    if crowded.size:
        keep = counts[i] <= kappa
        top = np.argpartition(-np.where(mask[crowded], S[crowded], -np.inf), kappa - 1, axis=1)
        i = np.concatenate([i[keep], np.repeat(crowded, kappa)])
        j = np.concatenate([j[keep], top[:, :kappa].ravel()])
    return i, j, S[i, j]


def _graphs(score: BilinearScore, floor: float, kappa: int, blocks, groups):
    """Real and decoy candidate graphs, each a tuple (rows, cols, scores).

    One product per block of rows (``(idx, H)`` from :func:`_scored_blocks`, overwritten)
    serves both problems: the real scores are ``H + u_i`` and the decoy scores
    ``2 v_j - H + u_i``. Memory O(block * m2).
    """
    v2 = 2.0 * score.v
    parts = ([], [])
    for idx, H in blocks:
        cut = (floor - score.u[idx])[:, None]
        allowed = _allowed(groups, idx)
        for t in range(2):
            if t == 1:
                np.subtract(v2, H, out=H)
            mask = H > cut if allowed is None else (H > cut) & allowed
            i, j, val = _top_above(H, mask, kappa)
            parts[t].append((idx[i], j, val + score.u[idx[i]]))
    return tuple(tuple(np.concatenate([p[k] for p in part]) for k in range(3)) for part in parts)


def _dense(score: BilinearScore, q, theta, groups, max_bytes: int):
    m1, m2 = score.p.shape[0], score.q.shape[0]
    blocks = list(zip(*group_blocks(groups, m1, m2)))
    # three float64 copies: the scores, their thresholded copy and SciPy's internal one
    need = max(3 * 8 * len(b1) * len(b2) for b1, b2 in blocks) if blocks else 0
    if need > max_bytes:
        raise ValueError(
            f"a dense assignment between m1 = {m1} and m2 = {m2} unpaired samples needs about "
            f"{need / 2**20:.0f} MiB (limit max_assignment_bytes = {max_bytes / 2**20:.0f} MiB); "
            "use matching='sparse', or match within groups"
        )
    sims = [score.sub(b1, b2) for b1, b2 in blocks]
    real = np.concatenate([best_match_values(s) for s in sims] or [np.empty(0)])
    decoy = np.concatenate(
        [best_match_values(score.mirrored().sub(b1, b2)) for b1, b2 in blocks] or [np.empty(0)]
    )
    th = decoy_threshold(real, decoy, q) if theta is None else theta
    found = [match_pairs(s, th)[0] for s in sims]
    P = np.concatenate(
        [np.column_stack([b1[p[:, 0]], b2[p[:, 1]]]) for p, (b1, b2) in zip(found, blocks)]
        or [np.empty((0, 2), np.int64)]
    ).astype(np.int64)
    return P[np.argsort(P[:, 0], kind="stable")], th, real, decoy


def match_with_decoy(
    score: BilinearScore,
    target_fdr: float,
    *,
    theta=None,
    method: str = "sparse",
    kappa: int = 10,
    block: int = 64,
    groups=None,
    max_bytes: int = 2**30,
) -> DecoyMatch:
    """The matching step with the decoy-calibrated price.

    Both the real and the decoy problem are matched without a price (sparse: at the price
    ``floor``, on their candidate graphs); :func:`mmcl.decoy_threshold` turns the two lists of
    matched scores into the price ``theta`` at the target FDR; the real problem is then matched
    at that price. With ``theta`` given, it is used as the price (and as the floor).
    Cost of the sparse method: ``O(m1 m2 r)`` for the scores in blocks of ``block`` rows,
    memory ``O(block m2 + m1 kappa)``, and three sparse matchings of ``m1 + m2`` nodes. Small
    blocks keep each block of scores in cache through the passes over it.
    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    score : BilinearScore
        Scores of the ``m1 x m2`` candidate pairs.
    target_fdr : float in (0, 1)
    theta : float, optional
        A fixed price instead of the decoy-calibrated one.
    method : "sparse" or "dense"
    kappa : int >= 1
        Candidates kept per row (sparse).
    block : int >= 1
        Rows scored at once (sparse).
    groups : (array (m1,), array (m2,)) of int, optional
        Candidates only between rows with equal labels (e.g. batches known to hold the
        partners).
    max_bytes : int
        Refuse dense problems above this memory.

    Returns
    -------
    DecoyMatch

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.candidates import cosine_score, match_with_decoy
    >>> rng = np.random.default_rng(0)
    >>> E = rng.normal(size=(300, 5))
    >>> out = match_with_decoy(cosine_score(E, E + 0.1 * rng.normal(size=E.shape)), 0.1)
    >>> bool(np.mean(out.pairs[:, 0] == out.pairs[:, 1]) > 0.95), len(out.pairs) > 250
    (True, True)
    """
    if not isinstance(score, BilinearScore):
        raise TypeError(f"score must be a BilinearScore; got {type(score).__name__}")
    q = as_target_fdr(target_fdr)
    kappa, block = as_int(kappa, "kappa", low=1), as_int(block, "block", low=1)
    m1, m2 = score.p.shape[0], score.q.shape[0]
    groups = None if groups is None else as_groups(groups, m1, m2)
    if method == "dense":
        P, th, real, decoy = _dense(score, q, theta, groups, max_bytes)
        return DecoyMatch(P, score.at(P[:, 0], P[:, 1]), float(th), real, decoy)
    if method != "sparse":
        raise ValueError(f"method must be 'sparse' or 'dense'; got {method!r}")
    floor = _floor(score, groups, _scored_blocks(score, block)) if theta is None else theta
    empty = np.empty((0, 2), np.int64)
    if not np.isfinite(floor):
        return DecoyMatch(empty, np.empty(0), np.inf, np.empty(0), np.empty(0))
    blocks = _scored_blocks(score, block)
    (rr, rc, rv), (dr, dc, dv) = _graphs(score, floor, kappa, blocks, groups)
    Pd = sparse_match(dr, dc, dv - floor, m1, m2)
    decoy = score.mirrored().at(Pd[:, 0], Pd[:, 1])
    if theta is None:
        Pr = sparse_match(rr, rc, rv - floor, m1, m2)
        real = score.at(Pr[:, 0], Pr[:, 1])
        th = decoy_threshold(real, decoy, q)
    else:
        real, th = np.empty(0), float(theta)
    P = sparse_match(rr, rc, rv - th, m1, m2) if np.isfinite(th) else empty
    return DecoyMatch(P, score.at(P[:, 0], P[:, 1]), float(th), real, decoy)


def crossing_fraction(score: BilinearScore, groups, target_fdr: float, *, rows: int = 512):
    """Share of confident matches found without groups whose partner lies in another group.

    On up to ``rows`` evenly spaced rows, each row's best column over *all* of ``Yu`` is
    compared with the best decoy; the rows whose best score passes the decoy price at the
    target FDR are confident matches. If the groups hold the true partners, confident matches
    rarely cross groups; if the groups were drawn without regard to the partners, most do.
    Returns ``(fraction crossing, number of confident rows)``; the fraction is NaN when no row
    is confident (the check then says nothing). Introduced in the chapter `unpaired`.

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.candidates import cosine_score, crossing_fraction
    >>> rng = np.random.default_rng(0)
    >>> E = rng.normal(size=(200, 5))
    >>> s = cosine_score(E, E + 0.1 * rng.normal(size=E.shape))
    >>> blocks = np.arange(200) // 50
    >>> bool(crossing_fraction(s, (blocks, blocks), 0.1)[0] < 0.05)     # partners inside
    True
    >>> bool(crossing_fraction(s, (blocks, rng.permutation(blocks)), 0.1)[0] > 0.5)
    True
    """
    groups = as_groups(groups, score.p.shape[0], score.q.shape[0])
    idx = _pilot_rows(score.p.shape[0], rows)
    S, D = score.block(idx), score.mirrored().block(idx)
    best, cols = S.max(axis=1), S.argmax(axis=1)
    th = decoy_threshold(best, D.max(axis=1), as_target_fdr(target_fdr))
    confident = best > th
    if not confident.any():
        return float("nan"), 0
    crossing = groups[0][idx[confident]] != groups[1][cols[confident]]
    return float(np.mean(crossing)), int(confident.sum())


def warn_if_groups_cross(score, groups, target_fdr: float, *, limit: float = 0.5) -> None:
    """Warn when most confident global matches cross the groups (see :func:`crossing_fraction`)."""
    fraction, confident = crossing_fraction(score, groups, target_fdr)
    if confident >= 10 and fraction > limit:
        warnings.warn(
            f"{fraction:.0%} of the {confident} confident matches found without groups pair rows "
            "of different groups: the groups (or batches) probably do not hold the true "
            "partners, and matching within them will miss most pairs",
            UserWarning,
            stacklevel=3,
        )
