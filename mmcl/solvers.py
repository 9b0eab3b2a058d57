"""Solvers: the closed-form SVD minimiser of the linear loss, gradient
descent on any loss of the family, and a quasi-Newton polish.

Introduced in the chapter `loss_to_svd`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.sparse.linalg import LinearOperator, minres

from ._checks import as_data, as_encoders, as_generator, as_int, as_pair, as_positive, as_rank
from .losses import LogitLoss, weighted_cross_covariance

__all__ = [
    "SVDFit",
    "GDFit",
    "fit_svd",
    "fit_svd_from_cross_covariance",
    "fit_gd",
    "polish",
    "spectral_selection",
]


@dataclass
class SVDFit:
    """Closed-form minimiser of the linear loss (see :func:`fit_svd`).

    Introduced in the chapter `loss_to_svd`.

    Attributes
    ----------
    G1 : ndarray, shape (r, d1)
    G2 : ndarray, shape (r, d2)
    S : ndarray, shape (d1, d2)
        The contrastive cross-covariance that was factorised.
    singular_values : ndarray, shape (min(d1, d2),)
        All singular values of ``S``, in decreasing order.
    rho : float
    value : float
        The minimum of the linear loss, ``-sum_{k<=r} sigma_k^2 / (2 rho)``.
    """

    G1: np.ndarray
    G2: np.ndarray
    S: np.ndarray
    singular_values: np.ndarray
    rho: float
    value: float


def fit_svd_from_cross_covariance(S, r, *, rho: float = 1.0) -> SVDFit:
    """Minimiser of ``-tr(G1 S G2^T) + rho/2 ||G1^T G2||_F^2``: the rank-r SVD of ``S/rho``.

    Returns the balanced factorisation ``G1 = Sigma_r^{1/2} U_r^T / sqrt(rho)``,
    ``G2 = Sigma_r^{1/2} V_r^T / sqrt(rho)`` of the best rank-r approximation
    of ``S / rho``. Every minimiser has ``G1^T G2 = [S]_r / rho``; the
    others are ``(A G1, A^{-T} G2)`` for invertible ``A``. This is the SVD step
    shared by :func:`fit_svd` (``S`` of the linear loss), its weighted
    version, and the refits of the chapter `unpaired`. Introduced in the
    chapter `loss_to_svd`.

    Parameters
    ----------
    S : array, shape (d1, d2)
        A contrastive cross-covariance.
    r : int
        ``1 <= r <= min(d1, d2)``.
    rho : float > 0

    Returns
    -------
    SVDFit

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> fit = mmcl.fit_svd_from_cross_covariance(np.diag([3.0, 2.0, 1.0]), 2, rho=1.0)
    >>> np.round(fit.G1.T @ fit.G2, 12)
    array([[3., 0., 0.],
           [0., 2., 0.],
           [0., 0., 0.]])
    """
    S = as_data(S, "S", min_rows=1)
    r = as_rank(r, *S.shape)
    rho = as_positive(rho, "rho")
    U, s, Vt = np.linalg.svd(S, full_matrices=False)
    root = np.sqrt(s[:r] / rho)
    return SVDFit(
        G1=root[:, None] * U[:, :r].T,
        G2=root[:, None] * Vt[:r],
        S=S,
        singular_values=s,
        rho=rho,
        value=float(-np.sum(s[:r] ** 2) / (2 * rho)),
    )


def fit_svd(X, Y, r, *, rho: float = 1.0, weights=None) -> SVDFit:
    """Closed-form minimiser of the linear loss: the rank-r SVD of ``S/rho``.

    ``G1 = Sigma_r^{1/2} U_r^T / sqrt(rho)`` and ``G2 = Sigma_r^{1/2} V_r^T /
    sqrt(rho)`` with ``S = Xc^T Yc / (n - 1)`` the linear loss's contrastive
    cross-covariance (one GEMM, never an n x n matrix; float32 or integer
    data are accumulated in float64 a block of rows at a time, without a
    float64 copy), factorised by :func:`fit_svd_from_cross_covariance`.
    Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
    r : int
        Representation dimension, ``1 <= r <= min(d1, d2)``.
    rho : float > 0
        Regulariser weight; the encoders scale like ``rho**-1/2``.
    weights : array, shape (n,), optional
        Non-negative weight of each pair (default all ones): ``S`` becomes the
        weighted cross-covariance of the weighted-centred data, which is
        ``S(beta)`` of the balanced weighted linear loss
        ``(1/D) sum_{a != b} w_a w_b (s_ab - s_aa) + R`` with ``D = W^2 -
        sum_a w_a^2`` and ``W = sum_a w_a`` (``beta_ab = w_a w_b / D``). The
        chapter `unpaired` instead adds pseudo-pairs to the pairs' own
        cross-covariance, which keeps its loss linear in the matching (see
        :func:`mmcl.fit_with_unpaired`).

    Returns
    -------
    SVDFit
        With ``.G1`` (r x d1), ``.G2`` (r x d2), ``.S``, ``.singular_values``,
        ``.value``.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(50, 4)), rng.normal(size=(50, 3))
    >>> fit = mmcl.fit_svd(X, Y, r=2, rho=1.0)
    >>> fit.G1.shape, fit.G2.shape
    ((2, 4), (2, 3))
    >>> bool(np.isclose(mmcl.linear_loss(1.0).value(fit.G1, fit.G2, X, Y), fit.value))
    True
    """
    X, Y = as_pair(X, Y, check_finite=False, as_float64=False)
    r = as_rank(r, X.shape[1], Y.shape[1])
    rho = as_positive(rho, "rho")
    S = weighted_cross_covariance(X, Y, weights)
    return fit_svd_from_cross_covariance(S, r, rho=rho)


@dataclass
class GDFit:
    """Result of :func:`fit_gd`.

    Introduced in the chapter `loss_to_svd`.

    Attributes
    ----------
    G1 : ndarray, shape (r, d1)
    G2 : ndarray, shape (r, d2)
    history : ndarray, shape (steps + 1,)
        Loss value before each step and at the end.
    snapshots : list of (step, G1, G2)
        Iterates kept every ``record_every`` steps (empty by default).
    """

    G1: np.ndarray
    G2: np.ndarray
    history: np.ndarray
    snapshots: list = field(default_factory=list)


def _check_loss(loss):
    if not isinstance(loss, LogitLoss):
        raise TypeError(
            f"loss must be a loss of mmcl (e.g. mmcl.clip_loss()); got {type(loss).__name__}"
        )


def _initial_encoders(r, d1, d2, init, init_scale, rng, X, Y):
    if init is not None:
        if not (isinstance(init, (tuple, list)) and len(init) == 2):
            raise TypeError("init must be a pair (G1, G2) of arrays")
        G1, G2 = as_encoders(init[0], init[1], X, Y)
        if G1.shape[0] != r:
            raise ValueError(f"init encoders must have r = {r} rows; got {G1.shape[0]}")
        return G1.copy(), G2.copy()
    scale = as_positive(init_scale, "init_scale")
    rng = as_generator(rng)
    return scale * rng.standard_normal((r, d1)), scale * rng.standard_normal((r, d2))


def fit_gd(
    X,
    Y,
    r,
    loss: LogitLoss,
    *,
    steps: int,
    lr: float,
    rng,
    init=None,
    init_scale: float = 1e-3,
    record_every: int | None = None,
) -> GDFit:
    """Plain gradient descent on any loss of the contrastive family.

    Each step is ``G1 -= lr * dL/dG1``, ``G2 -= lr * dL/dG2`` (simultaneous).
    With ``rho = 0`` and ``beta`` frozen this is a power iteration on
    ``S(beta)``. Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
    r : int
        Representation dimension.
    loss : LogitLoss
        For example ``clip_loss(tau, rho)`` or ``linear_loss(rho)``.
    steps : int >= 0
    lr : float > 0
        Step size.
    rng : numpy.random.Generator or int
        Source of the random initialisation ``N(0, init_scale^2)``.
    init : (G1, G2), optional
        Start here instead of at a random point.
    init_scale : float > 0
    record_every : int, optional
        Keep ``(step, G1, G2)`` every so many steps in ``.snapshots``.

    Returns
    -------
    GDFit
        ``.G1``, ``.G2``, ``.history`` (loss values), ``.snapshots``.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(40, 4)), rng.normal(size=(40, 3))
    >>> fit = mmcl.fit_gd(X, Y, 2, mmcl.linear_loss(rho=1.0), steps=50, lr=0.1, rng=rng)
    >>> fit.history.shape
    (51,)
    """
    _check_loss(loss)
    X, Y = as_pair(X, Y)
    r = as_rank(r, X.shape[1], Y.shape[1])
    steps = as_int(steps, "steps", low=0)
    lr = as_positive(lr, "lr")
    if record_every is not None:
        record_every = as_int(record_every, "record_every", low=1)
    G1, G2 = _initial_encoders(r, X.shape[1], Y.shape[1], init, init_scale, rng, X, Y)
    history = np.empty(steps + 1)
    snapshots = []
    for t in range(steps + 1):
        if record_every is not None and t % record_every == 0:
            snapshots.append((t, G1.copy(), G2.copy()))
        with np.errstate(over="ignore", invalid="ignore"):
            value, grad = loss.validated_value_and_gradient(G1, G2, X, Y)
        history[t] = value
        if not (np.isfinite(value) and np.isfinite(grad[0]).all() and np.isfinite(grad[1]).all()):
            raise FloatingPointError(f"gradient descent diverged at step {t}; lower lr (now {lr})")
        if t < steps:
            G1 = G1 - lr * grad[0]
            G2 = G2 - lr * grad[1]
    return GDFit(G1=G1, G2=G2, history=history, snapshots=snapshots)


def polish(X, Y, loss: LogitLoss, *, init, gtol: float = 1e-10, maxiter: int = 5000) -> GDFit:
    """Converge to a nearby critical point: L-BFGS, then Newton steps on the gradient.

    Used to drive a gradient-descent end point to a critical point accurately
    enough to check the SVD structure of the chapter `loss_to_svd`. L-BFGS
    (scipy) costs one ``value_and_gradient`` per function evaluation, and its
    history is read from the optimiser, never recomputed. Near the minimum the
    loss changes by about ``|grad|^2``, below its rounding error once
    ``|grad| ~ 1e-8``, and the line search stalls; then Newton steps solve
    ``H p = -grad`` by MINRES with the loss's Hessian-vector product (``loss.second_order``).
    MINRES copes with the singular Hessian: every loss is invariant under
    ``(G1, G2) -> (A G1, A^{-T} G2)``, ``r^2`` flat directions. A step is kept when it
    lowers ``||grad||`` without raising the loss beyond rounding, and halved otherwise.

    Parameters
    ----------
    X : array, shape (n, d1)
    Y : array, shape (n, d2)
    loss : LogitLoss
    init : (G1, G2)
        Starting encoders, shapes (r, d1) and (r, d2).
    gtol : float
        Stop when the largest gradient entry is below this.
    maxiter : int
        Largest number of L-BFGS iterations.

    Returns
    -------
    GDFit
        ``.history`` holds the loss value after each L-BFGS iteration and each
        Newton step.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(40, 4)), rng.normal(size=(40, 3))
    >>> best = mmcl.fit_svd(X, Y, r=2, rho=1.0)
    >>> start = (best.G1 + 0.01 * rng.normal(size=(2, 4)), best.G2 + 0.01 * rng.normal(size=(2, 3)))
    >>> fit = mmcl.polish(X, Y, mmcl.linear_loss(rho=1.0), init=start)
    >>> bool(abs(fit.history[-1] - best.value) < 1e-10)   # back at the minimum
    True
    """
    _check_loss(loss)
    X, Y = as_pair(X, Y)
    if not (isinstance(init, (tuple, list)) and len(init) == 2):
        raise TypeError("init must be a pair (G1, G2) of arrays")
    G1, G2 = as_encoders(init[0], init[1], X, Y)
    gtol = as_positive(gtol, "gtol")
    maxiter = as_int(maxiter, "maxiter", low=1)
    k = G1.size

    def split(theta):
        return theta[:k].reshape(G1.shape), theta[k:].reshape(G2.shape)

    def flat(pair):
        return np.concatenate([pair[0].ravel(), pair[1].ravel()])

    last = {}

    def f(theta):
        value, grad = loss.validated_value_and_gradient(*split(theta), X, Y)
        if not np.isfinite(value):
            value, grad = loss.value_and_gradient(*split(theta), X, Y)  # names a bad input
        last.update(theta=theta.copy(), value=value, grad=flat(grad))
        return value, last["grad"]

    history = []
    res = minimize(
        f,
        flat((G1, G2)),
        jac=True,
        method="L-BFGS-B",
        callback=lambda intermediate_result: history.append(float(intermediate_result.fun)),
        options={"gtol": gtol, "ftol": 0.0, "maxiter": maxiter, "maxcor": 30},
    )
    theta = res.x
    value, grad = (
        (last["value"], last["grad"]) if np.array_equal(theta, last["theta"]) else f(theta)
    )
    if np.abs(grad).max() > gtol:
        theta = _newton_refinement(loss, X, Y, theta, split, flat, gtol, history)
    G1, G2 = split(theta)
    return GDFit(G1=G1.copy(), G2=G2.copy(), history=np.asarray(history))


def _newton_refinement(loss, X, Y, theta, split, flat, gtol, history, max_steps: int = 20):
    """Newton steps on ``grad L = 0`` (MINRES on the Hessian products) from ``theta``."""
    size = theta.size

    def second_order(th):
        value, grad, hessp = loss.second_order(*split(th), X, Y)
        H = LinearOperator((size, size), matvec=lambda v: flat(hessp(*split(np.ravel(v)))))
        return value, flat(grad), H

    value, grad, H = second_order(theta)
    for _ in range(max_steps):
        norm = np.linalg.norm(grad)
        if np.abs(grad).max() <= gtol:
            break
        step = _minres(H, -grad, rtol=min(1e-2, np.sqrt(norm)), maxiter=5 * size)
        for _ in range(8):
            trial = second_order(theta + step)
            if np.linalg.norm(trial[1]) < norm and trial[0] <= value + 1e-12 * (1 + abs(value)):
                theta = theta + step
                value, grad, H = trial
                history.append(value)
                break
            step = step / 2
        else:
            break
    return theta


def _minres(H, b, *, rtol, maxiter):
    """scipy's MINRES (its tolerance is ``rtol`` from scipy 1.12 on, ``tol`` before)."""
    try:
        return minres(H, b, rtol=rtol, maxiter=maxiter)[0]
    except TypeError:  # pragma: no cover - scipy < 1.12
        return minres(H, b, tol=rtol, maxiter=maxiter)[0]


def spectral_selection(G1, G2, S, *, rho: float):
    """Which singular triples of ``S`` the product ``rho G1^T G2`` is made of.

    At a critical point of ``L_beta`` (``beta`` frozen),
    ``rho G1^T G2 = sum_{k in K} sigma_k u_k v_k^T`` for a set ``K`` of
    singular triples of ``S(beta)``. This returns the coefficients
    ``c_k = u_k^T (rho G1^T G2) v_k / sigma_k`` (1 for selected triples, 0 for
    the others), the selected set (the ``r`` largest ``c_k``) and the relative
    residual of the reconstruction. Introduced in the chapter
    `loss_to_svd`.

    Parameters
    ----------
    G1 : array, shape (r, d1)
    G2 : array, shape (r, d2)
    S : array, shape (d1, d2)
    rho : float > 0

    Returns
    -------
    coefficients : ndarray, shape (min(d1, d2),)
    selected : ndarray of int, shape (r,)
        Indices (0 = largest singular value) in increasing order.
    residual : float
        ``||rho G1^T G2 - sum_{k in K} sigma_k u_k v_k^T||_F / ||rho G1^T G2||_F``.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(40, 4)), rng.normal(size=(40, 3))
    >>> fit = mmcl.fit_svd(X, Y, r=2, rho=1.0)         # selects the top two triples
    >>> coefficients, selected, residual = mmcl.spectral_selection(fit.G1, fit.G2, fit.S, rho=1.0)
    >>> selected, bool(residual < 1e-12)
    (array([0, 1]), True)
    """
    G1 = as_data(G1, "G1", min_rows=1)
    G2 = as_data(G2, "G2", min_rows=1)
    if G1.shape[0] != G2.shape[0]:
        raise ValueError(
            f"G1 and G2 must have the same number of rows r; got {G1.shape[0]} and {G2.shape[0]}"
        )
    S = np.asarray(S, dtype=float)
    if S.ndim != 2 or S.shape != (G1.shape[1], G2.shape[1]):
        raise ValueError(
            f"S must have shape (d1, d2) = ({G1.shape[-1]}, {G2.shape[-1]}); got {S.shape}"
        )
    rho = as_positive(rho, "rho")
    M = rho * (G1.T @ G2)
    U, s, Vt = np.linalg.svd(S, full_matrices=False)
    coef = np.sum(U * (M @ Vt.T), axis=0) / s
    r = G1.shape[0]
    selected = np.sort(np.argsort(-coef)[:r])
    recon = (U[:, selected] * s[selected]) @ Vt[selected]
    residual = float(np.linalg.norm(M - recon) / np.linalg.norm(M))
    return coef, selected, residual
