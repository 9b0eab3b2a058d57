"""Both softmaxes of a logit matrix from one n x n exponential (CLIP and DCL).

With ``Z = K / tau``, row maxima ``m_i`` and ``M = max_i m_i``, the only n x n
exponential is the row-shifted ``E_ij = exp(Z_ij - m_i)``. Its row sums ``r_i``
give the row softmax ``P = diag(1/r) E``; reweighting the rows by
``w_i = exp(m_i - M)`` gives the column sums ``s_j = sum_i w_i E_ij =
sum_i exp(Z_ij - M)`` and the column softmax ``Q = diag(w) E diag(1/s)``. Then
``dL/dK = (P + Q)/(2n) - I/n`` is applied to thin matrices without being formed.

Where a column's log-sum-exp lies more than ``COLUMN_RANGE`` below ``M``
(only for tiny ``tau`` with huge logits), its reweighted sum could underflow,
so those columns get an exponential of their own. An O(n) test on the
diagonal (``c_j >= Z_jj``) proves this is not needed in the usual case.
Introduced in the chapter `loss_to_svd`; used by :mod:`mmcl.losses.clip` and
the decoupled loss of :mod:`mmcl.losses.zoo`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "COLUMN_RANGE",
    "Softmax",
    "softmax_parts",
    "apply_gradient",
    "probabilities",
    "gradient_array",
    "softmax_hvp",
]

# Terms dropped by underflow are below e^-708 each; with columns at most 500
# below M they are below n e^-208 of the column sum, and 1/(2n s_j) stays
# below e^500 ~ 1e217.
COLUMN_RANGE = 500.0


class Softmax(NamedTuple):
    """Both softmaxes of ``Z`` from one exponential (see the module docstring).

    Shapes are those of one problem; a stack of ``B`` problems adds a leading axis.
    """

    E: np.ndarray  # (n, n) exp(Z - m_i), the caller's Z overwritten
    r: np.ndarray  # (n,) row sums of E
    w: np.ndarray  # (n,) exp(m_i - M)
    s: np.ndarray  # (n,) column sums of exp(Z - M), or of F for the separate columns
    separate: np.ndarray  # (n,) bool: columns with their own exponential
    F: np.ndarray | None  # (n, k) exp(Z[:, separate] - c), unnormalised
    value: float | np.ndarray  # the symmetric cross-entropy of Z (not yet times tau)


def softmax_parts(Z: np.ndarray, positives: np.ndarray | None = None) -> Softmax | None:
    """Overwrite ``Z`` (n x n) with ``exp(Z - m_i)``; row and column sums and the loss.

    ``positives`` (n,) is for a ``Z`` whose diagonal was set to ``-inf`` (the
    decoupled loss, whose softmaxes run over the negatives only): the logits of
    the positive pairs, used in the value. Every column's range is then checked.
    A stack ``Z`` (B, n, n) of problems gives parts with a leading axis and values
    (B,), or None where a column would need an exponential of its own.
    """
    n, stacked = Z.shape[-1], Z.ndim > 2
    masked = positives is not None
    zdiag = positives if masked else np.diagonal(Z, axis1=-2, axis2=-1).copy()
    m = Z.max(axis=-1)
    M = m.max(axis=-1, keepdims=True)
    separate = np.zeros(Z.shape[:-1], dtype=bool)
    F = c = None
    if masked or np.any(M - zdiag.min(axis=-1, keepdims=True) > COLUMN_RANGE):
        if stacked:
            return None
        colmax = Z.max(axis=0)
        separate = M - colmax > COLUMN_RANGE
        if separate.any():
            c = colmax[separate]
            F = Z[:, separate] - c  # a copy, taken before Z is overwritten
            np.exp(F, out=F)
    np.subtract(Z, m[..., None], out=Z)
    np.exp(Z, out=Z)
    r = Z.sum(axis=-1)
    w = np.exp(m - M)
    s = (w[..., None, :] @ Z)[..., 0, :]
    lse = np.log(s) + M if F is None else np.empty(n)
    if F is not None:
        keep = ~separate
        s[separate] = F.sum(axis=0)
        lse[keep] = np.log(s[keep]) + M
        lse[separate] = np.log(s[separate]) + c
    value = (np.sum(np.log(r) + m - zdiag, axis=-1) + np.sum(lse - zdiag, axis=-1)) / (2 * n)
    return Softmax(Z, r, w, s, separate, F, value if stacked else float(value))


def apply_gradient(sm: Softmax, right, left):
    """``C @ right`` and ``C^T @ left`` (n x k each, or stacks), ``C = (P + Q)/(2n) - I/n``."""
    n = sm.E.shape[-1]
    a = 1.0 / (2 * n * sm.r)
    b = np.where(sm.separate, 0.0, 1.0 / (2 * n * sm.s))
    k = right.shape[-1]
    T = sm.E @ np.concatenate([right, b[..., None] * right], axis=-1)
    out_right = a[..., None] * T[..., :k] + sm.w[..., None] * T[..., k:] - right / n
    if left is None:
        out_left = None
    else:
        k = left.shape[-1]
        T = np.swapaxes(sm.E, -1, -2) @ np.concatenate(
            [a[..., None] * left, sm.w[..., None] * left], axis=-1
        )
        out_left = T[..., :k] + b[..., None] * T[..., k:] - left / n
    if sm.F is not None:
        bb = 1.0 / (2 * n * sm.s[sm.separate])
        out_right += sm.F @ (bb[:, None] * right[sm.separate])
        if left is not None:
            out_left[sm.separate] += bb[:, None] * (sm.F.T @ left)
    return out_right, out_left


def probabilities(sm: Softmax):
    """The row and column softmaxes ``P`` (overwriting ``sm.E``) and ``Q`` as arrays."""
    Q = sm.E * sm.w[:, None]
    Q *= np.where(sm.separate, 0.0, 1.0 / sm.s)[None, :]
    if sm.F is not None:
        Q[:, sm.separate] = sm.F / sm.s[sm.separate]
    P = sm.E
    P /= sm.r[:, None]
    return P, Q


def gradient_array(sm: Softmax):
    """``(P + Q)/(2n) - I/n`` as an array (overwriting ``sm.E``): ``dL/dK`` of CLIP and DCL."""
    n = sm.E.shape[0]
    P, Q = probabilities(sm)
    P += Q
    P *= 1.0 / (2 * n)
    P[np.diag_indices(n)] -= 1.0 / n
    return P


def softmax_hvp(P, Q, inv):
    """``dK -> (P*(dZ - pbar) + Q*(dZ - qbar^T))/(2n)``, ``dZ = inv dK``,
    ``pbar_i = sum_j P_ij dZ_ij``, ``qbar_j = sum_i Q_ij dZ_ij``."""
    n = P.shape[0]

    def hvp(dK):
        dZ = dK * inv
        PZ = P * dZ
        out = PZ - P * PZ.sum(axis=1)[:, None]
        np.multiply(Q, dZ, out=PZ)
        out += PZ
        out -= Q * PZ.sum(axis=0)[None, :]
        out *= 1.0 / (2 * n)
        return out

    return hvp
