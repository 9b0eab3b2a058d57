"""Yardsticks for encoders that need not have orthonormal rows: loadings and latent recovery.

The rows of a whitened encoder (weights, as scikit-learn's ``x_weights_``) are not the
shared features: in the population they are close to ``Sigma_x^{-1} U1``, not ``U1``. What
spans ``U1`` are its *loadings* ``Sigma_x G1^T`` (the covariance of ``x`` with the
embedding, scikit-learn's ``x_loadings_`` up to scale). And what a user of the embedding
cares about is how well ``G1 x`` predicts the latent ``z``: ``1 - R^2`` of the best affine
prediction. For an encoder with orthonormal rows inside ``span(U1)`` all three agree; for a
whitened encoder only the last two measure the right thing. Introduced in the chapter
`unpaired`.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_data, as_int
from .data import TwoModalityModel
from .metrics import sin_theta

__all__ = ["loading_sin_theta", "unexplained_latent_variance"]


def loading_sin_theta(G, U, covariance) -> float:
    """``||sin Theta||_F`` between the loadings ``covariance @ G.T`` and ``span(U)``.

    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    G : array, shape (r, d)
        An encoder (weights).
    U : array, shape (d, k)
        The reference subspace (e.g. ``model.U1``).
    covariance : array, shape (d, d)
        Covariance of ``x``: the population one (``model.covariance(1)``) or a sample
        covariance of held-out data.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> Sigma = np.diag([4.0, 1.0, 1.0])
    >>> G = np.array([[0.25, 0.0, 0.0]])        # a whitened encoder of the first axis
    >>> mmcl.loading_sin_theta(G, np.eye(3)[:, :1], Sigma)
    0.0
    """
    G = as_data(G, "G", min_rows=1)
    C = as_data(covariance, "covariance", min_rows=1)
    if C.shape != (G.shape[1], G.shape[1]):
        raise ValueError(f"covariance must have shape (d, d) = {(G.shape[1],) * 2}; got {C.shape}")
    return sin_theta(C @ G.T, U)


def unexplained_latent_variance(G, model, *, modality: int = 1, n_test=None, rng=None) -> float:
    """``1 - R^2`` of the best affine prediction of the latent ``z`` from ``G x``.

    In the population (``n_test=None``):
    ``1 - tr(C V^{-1} C^T) / tr(Lambda)`` with ``C = Lambda U^T G^T = Cov(z, G x)`` and
    ``V = G Sigma_x G^T = Cov(G x)``. With ``n_test``: the least-squares regression of ``z``
    on ``[G x, 1]`` over ``n_test`` fresh samples of the model, whose residual sum of squares
    over the total tends to the population value. Between 0 (the embedding determines ``z``)
    and 1 (it says nothing about it); lower is better. No encoder goes below the value of
    ``G = U^T Sigma_x^{-1}`` (the conditional mean ``E[z | x]``), which is above 0 under noise.
    Introduced in the chapter `unpaired`.

    Parameters
    ----------
    G : array, shape (r', d)
        An encoder of modality ``modality``.
    model : TwoModalityModel
    modality : 1 or 2
    n_test : int, optional
        Fresh samples (at least ``r' + 2``).
    rng : numpy.random.Generator or int
        Needed with ``n_test``.

    Returns
    -------
    float

    Examples
    --------
    >>> import mmcl
    >>> model = mmcl.make_model(20, 20, 2, rng=0, signal=9.0, noise_sd=1.0)
    >>> ideal = mmcl.unexplained_latent_variance(model.U1.T, model)
    >>> round(ideal, 3)     # noise 1 on a latent of variance 9: 1 - 9/10
    0.1
    >>> abs(mmcl.unexplained_latent_variance(model.U1.T, model, n_test=20000, rng=1) - ideal) < 0.01
    True
    """
    if not isinstance(model, TwoModalityModel):
        raise TypeError(f"model must be a TwoModalityModel; got {type(model).__name__}")
    if modality not in (1, 2):
        raise ValueError(f"modality must be 1 or 2; got {modality!r}")
    U = model.U1 if modality == 1 else model.U2
    G = as_data(G, "G", min_rows=1)
    if G.shape[1] != U.shape[0]:
        raise ValueError(f"G must have shape (r, d) with d = {U.shape[0]}; got {G.shape}")
    if n_test is None:
        C = model.lam[:, None] * (U.T @ G.T)
        V = G @ model.covariance(modality) @ G.T
        explained = np.trace(C @ np.linalg.lstsq(V, C.T, rcond=None)[0])
        return float(1.0 - explained / model.lam.sum())
    n_test = as_int(n_test, "n_test", low=G.shape[0] + 2)
    if rng is None:
        raise TypeError("rng must be a numpy.random.Generator or an integer seed with n_test")
    s = model.sample(n_test, rng=rng)
    A = (s.X if modality == 1 else s.Y) @ G.T
    F = np.column_stack([A, np.ones(n_test)])
    coef = np.linalg.lstsq(F, s.Z, rcond=None)[0]
    residual = s.Z - F @ coef
    return float(np.sum(residual**2) / np.sum((s.Z - s.Z.mean(axis=0)) ** 2))
