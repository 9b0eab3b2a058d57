"""The paper's baseline: Nakada et al.'s cosine-CLIP procedure for unpaired data.

This is the procedure of the paper, reproduced in NumPy as a baseline for the
book's own closed-form methods; introduced in the chapter `unpaired`. Nakada et al.
(2023, Section 5.1) train linear encoders without bias with the CLIP loss on
cosine similarities (temperature ``tau``), the AdamW optimiser
(Loshchilov and Hutter, 2019; learning rate 2e-3 and PyTorch's defaults
otherwise: betas (0.9, 0.999), eps 1e-8, weight decay 1e-2), minibatches of
50 consecutive rows in a fixed order, 100 epochs on the pairs, then 100
epochs on the unpaired samples, where in every 50 x 50 similarity matrix the
50 largest entries are taken as the positives. Initialisation as PyTorch's
``nn.Linear``: entries uniform on ``(-1/sqrt(d), 1/sqrt(d))``.

Everything is vectorised over independent runs ("lanes"): arrays carry a
leading lane axis, and lanes with fewer unpaired batches simply stop early
in each epoch. Gradients are written out by hand through the row
normalisation of the embeddings; during training the two modalities are
stacked (zero-padded to a common dimension), so that one product per step
serves both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_data, as_generator, as_int, as_nonnegative, as_positive, as_rank
from ._threads import one_blas_thread

__all__ = ["cosine_clip_loss", "AdamW", "PaperFit", "paper_procedure"]


def _normalise(E):
    norm = np.sqrt(np.einsum("lbk,lbk->lb", E, E))[..., None]
    return E / norm, norm


def _positives(K, top: bool):
    B = K.shape[-1]
    if not top:
        return np.broadcast_to(np.eye(B, dtype=bool), K.shape)
    # The B-th largest entry of each lane's matrix, by a partial sort.
    flat = K.reshape(K.shape[0], -1)
    kth = np.partition(flat, flat.shape[1] - B, axis=1)[:, flat.shape[1] - B]
    return K >= kth[:, None, None]


def _loss_grad(W1t, W2t, Xb, Yb, tau: float, top: bool, grad: bool = True):
    """CLIP on cosine similarities for stacked lanes.

    W1t (L, d1, r), Xb (L, B, d1). Returns the loss per lane (L,) and the
    gradients with respect to W1t and W2t.
    """
    E1, E2 = Xb @ W1t, Yb @ W2t
    A, n1 = _normalise(E1)
    C, n2 = _normalise(E2)
    K = (A @ C.transpose(0, 2, 1)) / tau
    B = K.shape[-1]
    pos = _positives(K, top)
    ex = np.exp(K - K.max(axis=(1, 2), keepdims=True))
    row, col = ex.sum(axis=2, keepdims=True), ex.sum(axis=1, keepdims=True)
    shift = K.max(axis=(1, 2))
    lse = np.log(row).sum(axis=(1, 2)) + np.log(col).sum(axis=(1, 2)) + 2 * B * shift
    value = (lse - 2 * np.where(pos, K, 0.0).sum(axis=(1, 2))) / (2 * B)
    if not grad:
        return value, None
    dK = (ex / row + ex / col - 2.0 * pos) / (2 * B * tau)
    dA, dC = dK @ C, dK.transpose(0, 2, 1) @ A
    dE1 = (dA - A * np.einsum("lbk,lbk->lb", A, dA)[..., None]) / n1
    dE2 = (dC - C * np.einsum("lbk,lbk->lb", C, dC)[..., None]) / n2
    return value, (Xb.transpose(0, 2, 1) @ dE1, Yb.transpose(0, 2, 1) @ dE2)


def _stacked_grad(W, Z, tau: float, top: bool):
    """Gradient of the loss of :func:`_loss_grad` with both modalities stacked.

    W (L, 2, d, r) holds ``W1t`` and ``W2t``, Z (L, 2, B, d) the batches, both zero-padded
    to ``d = max(d1, d2)`` columns; padded rows of ``W`` get a zero gradient. One product
    per step serves both modalities, and the loss value is not formed.
    """
    E = Z @ W
    norm = np.sqrt(np.einsum("lmbk,lmbk->lmb", E, E))[..., None]
    A = E / norm
    K = A[:, 0] @ A[:, 1].transpose(0, 2, 1)
    if tau != 1.0:
        K /= tau
    B = K.shape[-1]
    ex = np.exp(K - K.max(axis=(1, 2), keepdims=True))
    dK = ex / ex.sum(axis=2, keepdims=True)
    dK += ex / ex.sum(axis=1, keepdims=True)
    if top:
        np.subtract(dK, 2.0, out=dK, where=_positives(K, True))
    else:
        dK.reshape(dK.shape[0], -1)[:, :: B + 1] -= 2.0
    dK *= 1.0 / (2 * B * tau)
    dA = np.empty_like(A)
    np.matmul(dK, A[:, 1], out=dA[:, 0])
    np.matmul(dK.transpose(0, 2, 1), A[:, 0], out=dA[:, 1])
    dA -= A * np.einsum("lmbk,lmbk->lmb", A, dA)[..., None]
    dA /= norm
    return Z.transpose(0, 1, 3, 2) @ dA


def cosine_clip_loss(G1, G2, X, Y, *, tau: float = 1.0, top: bool = False):
    """The paper's minibatch loss and its gradient, for one batch.

    With ``a_i = G1 x_i/|G1 x_i|``, ``c_j = G2 y_j/|G2 y_j|`` and
    ``K_ij = <a_i, c_j>/tau`` (B x B)::

        loss = 1/(2B) [ sum_i logsumexp_j K_ij + sum_j logsumexp_i K_ij
                        - 2 sum_{(i,j) in Pos} K_ij ]

    where ``Pos`` is the diagonal (pairs) or, with ``top=True``, the ``B``
    largest entries of ``K`` (unpaired batches). Introduced in the chapter
    `unpaired`.

    Parameters
    ----------
    G1 : array, shape (r, d1)
    G2 : array, shape (r, d2)
    X : array, shape (B, d1)
    Y : array, shape (B, d2)
    tau : float > 0
    top : bool

    Returns
    -------
    value : float
    gradient : tuple (dG1, dG2) of shapes (r, d1), (r, d2)

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> G1, G2 = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
    >>> X, Y = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    >>> value, (d1, d2) = mmcl.cosine_clip_loss(G1, G2, X, Y)
    >>> d1.shape, d2.shape
    ((2, 4), (2, 3))
    """
    X, Y = as_data(X, "X"), as_data(Y, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"X and Y must have the same number of rows (batch size); "
            f"got {X.shape[0]} and {Y.shape[0]}"
        )
    G1, G2 = as_data(G1, "G1", min_rows=1), as_data(G2, "G2", min_rows=1)
    if G1.shape[1] != X.shape[1] or G2.shape[1] != Y.shape[1] or G1.shape[0] != G2.shape[0]:
        raise ValueError(
            f"G1, G2 must have shapes (r, {X.shape[1]}) and (r, {Y.shape[1]}); "
            f"got {G1.shape}, {G2.shape}"
        )
    tau = as_positive(tau, "tau")
    value, (g1, g2) = _loss_grad(G1.T[None], G2.T[None], X[None], Y[None], tau, bool(top))
    return float(value[0]), (g1[0].T, g2[0].T)


class AdamW:
    """AdamW (Loshchilov and Hutter, 2019) as in PyTorch, one step counter per lane.

    A step on lanes ``[:c]`` first decays the parameters,
    ``p <- p (1 - lr wd)``, then takes the Adam step with bias-corrected
    moments, ``p <- p - lr m_hat / (sqrt(v_hat) + eps)``. Introduced in the
    chapter `unpaired`.

    Parameters
    ----------
    params : list of ndarrays, each of shape (lanes, ...)
        Updated in place.
    lanes : int
    lr, wd : float
        Learning rate and weight decay.
    betas : (float, float)
    eps : float

    Examples
    --------
    >>> import numpy as np
    >>> from mmcl.paper_baseline import AdamW
    >>> p = np.ones((1, 1, 1))
    >>> AdamW([p], 1, lr=0.1, wd=0.5).step([np.ones((1, 1, 1))], 1)
    >>> round(float(p[0, 0, 0]), 6)    # 1 * (1 - 0.05) - 0.1 * 1 / (1 + 1e-8)
    0.85
    """

    def __init__(self, params, lanes, lr, wd, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.wd, self.betas, self.eps = params, lr, wd, betas, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = np.zeros(lanes)

    def step(self, grads, c: int):
        """Update the first ``c`` lanes (in place, in PyTorch's order of operations)."""
        b1, b2 = self.betas
        self.t[:c] += 1
        t = self.t[:c]
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            shape = (c,) + (1,) * (p.ndim - 1)
            step_size = (self.lr / (1 - b1**t)).reshape(shape)
            root_bc2 = np.sqrt(1 - b2**t).reshape(shape)
            p, m, v = p[:c], m[:c], v[:c]
            p *= 1 - self.lr * self.wd
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            denom = np.sqrt(v)
            denom /= root_bc2
            denom += self.eps
            p -= step_size * m / denom


@dataclass
class PaperFit:
    """Result of :func:`paper_procedure` (one entry per lane).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    G1_pairs, G2_pairs : ndarray, shapes (L, r, d1), (L, r, d2)
        Encoders after the epochs on the pairs.
    G1, G2 : ndarray, shapes (L, r, d1), (L, r, d2)
        Encoders after the epochs on the unpaired samples.
    """

    G1_pairs: np.ndarray
    G2_pairs: np.ndarray
    G1: np.ndarray
    G2: np.ndarray


def _lanes(A, name, d=None):
    A = np.asarray(A, dtype=float)
    if A.ndim == 2:
        A = A[None]
    if A.ndim != 3 or (d is not None and A.shape[2] != d) or not np.isfinite(A).all():
        raise ValueError(
            f"{name} must be a finite array of shape (lanes, rows, {d or 'd'}) or (rows, d); "
            f"got {A.shape}"
        )
    return A


def paper_procedure(
    X,
    Y,
    Xu,
    Yu,
    r,
    *,
    rng,
    epochs: int = 100,
    unpaired_epochs: int = 100,
    batch_size: int = 50,
    lr: float = 2e-3,
    weight_decay: float = 1e-2,
    tau: float = 1.0,
) -> PaperFit:
    """Nakada et al.'s procedure: CLIP on pairs, then top-B positives on unpaired batches.

    Runs ``L`` independent trainings at once. Batches are consecutive rows in
    the given order (no reshuffling, as in the paper); a remainder smaller
    than a batch is not used. Introduced in the chapter `unpaired`.

    Parameters
    ----------
    X : array, shape (L, n, d1) or (n, d1)
    Y : array, shape (L, n, d2) or (n, d2)
    Xu : sequence of L arrays of shape (N_l, d1), or one array
    Yu : sequence of L arrays of shape (N_l, d2), or one array
        Unpaired samples of each lane; ``N_l`` may differ between lanes.
    r : int
    rng : numpy.random.Generator or int
        For the initialisation.
    epochs, unpaired_epochs : int >= 0
    batch_size : int >= 2
    lr : float > 0
    weight_decay : float >= 0
    tau : float > 0

    Returns
    -------
    PaperFit

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(100, 6)), rng.normal(size=(100, 5))
    >>> fit = mmcl.paper_procedure(X, Y, X, Y, 2, rng=1, epochs=2, unpaired_epochs=1)
    >>> fit.G1.shape, fit.G2_pairs.shape
    ((1, 2, 6), (1, 2, 5))
    """
    X, Y = _lanes(X, "X"), _lanes(Y, "Y")
    L, n, d1 = X.shape
    if Y.shape[:2] != (L, n):
        raise ValueError(f"X and Y must have the same lanes and rows; got {X.shape} and {Y.shape}")
    d2 = Y.shape[2]
    if isinstance(Xu, np.ndarray) and Xu.ndim == 2:
        Xu, Yu = [Xu] * L, [Yu] * L
    if len(Xu) != L or len(Yu) != L:
        raise ValueError(
            f"Xu and Yu must hold one array per lane ({L}); got {len(Xu)} and {len(Yu)}"
        )
    Xu = [_lanes(a, "Xu", d1)[0] for a in Xu]
    Yu = [_lanes(a, "Yu", d2)[0] for a in Yu]
    r = as_rank(r, d1, d2)
    B = as_int(batch_size, "batch_size", low=2)
    epochs, unpaired_epochs = (
        as_int(epochs, "epochs", low=0),
        as_int(unpaired_epochs, "unpaired_epochs", low=0),
    )
    lr, wd, tau = (
        as_positive(lr, "lr"),
        as_nonnegative(weight_decay, "weight_decay"),
        as_positive(tau, "tau"),
    )
    rng = as_generator(rng)
    if any(len(a) != len(b) for a, b in zip(Xu, Yu)):
        raise ValueError("Xu and Yu must have the same number of rows in every lane")
    d = max(d1, d2)
    W = np.zeros((L, 2, d, r))
    W[:, 0, :d1] = rng.uniform(-1, 1, (L, d1, r)) / np.sqrt(d1)
    W[:, 1, :d2] = rng.uniform(-1, 1, (L, d2, r)) / np.sqrt(d2)
    opt = AdamW([W], L, lr, wd)
    # Thousands of tiny products: threads cost more than they save.
    with one_blas_thread():
        _pairs_phase(opt, _pad_stack(X, Y, d), B, epochs, tau)
        G1p, G2p = W[:, 0, :d1].transpose(0, 2, 1).copy(), W[:, 1, :d2].transpose(0, 2, 1).copy()
        _unpaired_phase(opt, Xu, Yu, B, unpaired_epochs, tau)
    return PaperFit(
        G1_pairs=G1p,
        G2_pairs=G2p,
        G1=W[:, 0, :d1].transpose(0, 2, 1).copy(),
        G2=W[:, 1, :d2].transpose(0, 2, 1).copy(),
    )


def _pad_stack(X, Y, d):
    """(L, n, d1) and (L, n, d2) -> (L, 2, n, d), zero-padded columns."""
    Z = np.zeros((X.shape[0], 2, X.shape[1], d))
    Z[:, 0, :, : X.shape[2]] = X
    Z[:, 1, :, : Y.shape[2]] = Y
    return Z


def _pairs_phase(opt, Z, B, epochs, tau):
    (W,) = opt.params
    batches = [Z[:, :, i * B : (i + 1) * B] for i in range(Z.shape[2] // B)]
    for _ in range(epochs):
        for Zb in batches:
            opt.step([_stacked_grad(W, Zb, tau, False)], W.shape[0])


def _unpaired_phase(opt, Xu, Yu, B, epochs, tau):
    """Lanes sorted by number of batches, so the active lanes form a prefix."""
    nb = np.array([len(a) // B for a in Xu])
    order = np.argsort(-nb, kind="stable")
    if epochs == 0 or nb.max() == 0:
        return
    width = nb.max() * B

    def pad(arrs):
        return np.stack(
            [np.pad(arrs[k][: nb[k] * B], ((0, width - nb[k] * B), (0, 0))) for k in order]
        )

    (W,) = opt.params
    Z = _pad_stack(pad(Xu), pad(Yu), W.shape[2])
    sub = AdamW([W[order]], len(order), opt.lr, opt.wd)
    sub.m = [m[order] for m in opt.m]
    sub.v = [v[order] for v in opt.v]
    sub.t = opt.t[order].copy()
    active = (nb[order][None, :] > np.arange(nb.max())[:, None]).sum(axis=1)
    (P,) = sub.params
    batches = [Z[:, :, j * B : (j + 1) * B] for j in range(nb.max())]
    for _ in range(epochs):
        for c, Zb in zip(active, batches):
            sub.step([_stacked_grad(P[:c], Zb[:c], tau, True)], c)
    W[order] = P
