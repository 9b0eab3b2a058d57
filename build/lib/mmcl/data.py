"""The two-modality spiked model and samples drawn from it.

``x = U1 z + xi1`` and ``y = U2 z~ + xi2`` with ``z ~ N(0, Lambda)``; a pair is
wrongly matched with probability ``eps`` (then ``z~`` is an independent copy
of ``z``). The noise of each modality is Gaussian with covariance
``diag(variances) + B B^T``: unequal variances give heteroskedastic noise, the
loading ``B`` (d x k) a structured, low-rank nuisance. Introduced in the
chapter `loss_to_svd`; the robustness chapter uses all of
its knobs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_data, as_generator, as_int, as_nonnegative, as_probability, as_rank
from .bases import coherent_orthonormal, random_orthonormal

__all__ = [
    "Noise",
    "TwoModalityModel",
    "PairedSample",
    "make_model",
    "mismatch",
    "UnpairedSample",
    "sample_unpaired",
]


@dataclass(frozen=True)
class Noise:
    """Gaussian noise with covariance ``diag(variances) + loading @ loading.T``.

    Introduced in the chapter `loss_to_svd`.

    Attributes
    ----------
    variances : ndarray, shape (d,)
        Non-negative per-coordinate variances.
    loading : ndarray, shape (d, k)
        Low-rank nuisance loading ``B`` (k may be 0).
    """

    variances: np.ndarray
    loading: np.ndarray

    @property
    def dim(self) -> int:
        return self.variances.shape[0]

    def covariance(self) -> np.ndarray:
        """The d x d covariance matrix."""
        return np.diag(self.variances) + self.loading @ self.loading.T

    def sample(self, n: int, rng) -> np.ndarray:
        """Draw n samples (n x d)."""
        rng = as_generator(rng)
        out = rng.standard_normal((n, self.dim)) * np.sqrt(self.variances)
        k = self.loading.shape[1]
        if k:
            out += rng.standard_normal((n, k)) @ self.loading.T
        return out


@dataclass(frozen=True)
class PairedSample:
    """A sample of n pairs from :class:`TwoModalityModel`.

    Introduced in the chapter `loss_to_svd`.

    Attributes
    ----------
    X : ndarray, shape (n, d1)
    Y : ndarray, shape (n, d2)
    Z : ndarray, shape (n, r)
        Latent factors of the x's.
    matched : ndarray of bool, shape (n,)
        True where ``Y[i]`` shares the latent ``Z[i]`` (a correct pair).
    """

    X: np.ndarray
    Y: np.ndarray
    Z: np.ndarray
    matched: np.ndarray


@dataclass(frozen=True)
class TwoModalityModel:
    """The two-modality spiked model of the book (build one with :func:`make_model`).

    Introduced in the chapter `loss_to_svd`.

    Attributes
    ----------
    U1 : ndarray, shape (d1, r)
        Orthonormal shared features of modality 1.
    U2 : ndarray, shape (d2, r)
    lam : ndarray, shape (r,)
        Latent variances ``Lambda = diag(lam)``.
    noise1, noise2 : Noise
    """

    U1: np.ndarray
    U2: np.ndarray
    lam: np.ndarray
    noise1: Noise
    noise2: Noise

    @property
    def r(self) -> int:
        return self.lam.shape[0]

    def cross_covariance(self, eps: float = 0.0) -> np.ndarray:
        """``E[x y^T] = (1 - eps) U1 Lambda U2^T`` (d1 x d2)."""
        eps = as_probability(eps, "eps")
        return (1.0 - eps) * (self.U1 * self.lam) @ self.U2.T

    def covariance(self, modality: int) -> np.ndarray:
        """``U Lambda U^T + Sigma`` of modality 1 or 2."""
        if modality not in (1, 2):
            raise ValueError(f"modality must be 1 or 2; got {modality!r}")
        U, noise = (self.U1, self.noise1) if modality == 1 else (self.U2, self.noise2)
        return (U * self.lam) @ U.T + noise.covariance()

    def sample(self, n: int, *, eps: float = 0.0, rng) -> PairedSample:
        """Draw ``n`` pairs, each wrongly matched with probability ``eps``.

        Parameters
        ----------
        n : int >= 2
        eps : float in [0, 1]
        rng : numpy.random.Generator or int

        Returns
        -------
        PairedSample
        """
        n = as_int(n, "n", low=2)
        eps = as_probability(eps, "eps")
        rng = as_generator(rng)
        sd = np.sqrt(self.lam)
        Z = rng.standard_normal((n, self.r)) * sd
        matched = rng.random(n) >= eps
        Zt = np.where(matched[:, None], Z, rng.standard_normal((n, self.r)) * sd)
        X = Z @ self.U1.T + self.noise1.sample(n, rng)
        Y = Zt @ self.U2.T + self.noise2.sample(n, rng)
        return PairedSample(X=X, Y=Y, Z=Z, matched=matched)


def _per_modality(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be a number or a pair (modality 1, modality 2); got {value!r}"
            )
        return tuple(value)
    return value, value


def _noise(d, sd, hetero, k, strength, rng, which) -> Noise:
    sd = as_nonnegative(sd, f"noise_sd[{which}]")
    hetero = as_nonnegative(hetero, f"heteroskedasticity[{which}]")
    k = as_int(k, f"nuisance_rank[{which}]", low=0, high=d)
    strength = as_nonnegative(strength, f"nuisance_strength[{which}]")
    # Log-variances evenly spread over [-hetero, hetero], in random order,
    # rescaled so the mean variance stays sd^2.
    spread = np.exp(hetero * rng.permutation(np.linspace(-1.0, 1.0, d)))
    variances = sd**2 * spread / spread.mean()
    loading = strength * random_orthonormal(d, k, rng) if k else np.zeros((d, 0))
    return Noise(variances=variances, loading=loading)


def make_model(
    d1: int,
    d2: int,
    r: int,
    *,
    rng,
    signal=1.0,
    noise_sd=1.0,
    heteroskedasticity=0.0,
    nuisance_rank=0,
    nuisance_strength=3.0,
    support=None,
) -> TwoModalityModel:
    """Build a :class:`TwoModalityModel`.

    Every noise and basis knob takes one number for both modalities or a pair
    ``(modality 1, modality 2)``. Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    d1, d2 : int
        Dimensions of the two modalities.
    r : int
        Number of shared features, ``r <= min(d1, d2)``.
    rng : numpy.random.Generator or int
    signal : float or array of shape (r,)
        Latent variances ``lambda_1..lambda_r`` (> 0).
    noise_sd : float >= 0 or pair
        Root-mean-square noise standard deviation per coordinate.
    heteroskedasticity : float >= 0 or pair
        0 for isotropic noise; log-variances spread over ``[-h, h]``.
    nuisance_rank : int >= 0 or pair
        Rank k of a structured nuisance component ``B B^T``.
    nuisance_strength : float >= 0 or pair
        Standard deviation of each nuisance direction.
    support : int or pair, optional
        Number of coordinates the columns of U live on (default: all, a
        random basis; ``r`` is maximally coherent).

    Returns
    -------
    TwoModalityModel

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> model = mmcl.make_model(20, 15, 3, rng=np.random.default_rng(0), noise_sd=0.5)
    >>> sample = model.sample(100, eps=0.2, rng=np.random.default_rng(1))
    >>> sample.X.shape, sample.Y.shape
    ((100, 20), (100, 15))
    """
    d1 = as_int(d1, "d1", low=1)
    d2 = as_int(d2, "d2", low=1)
    r = as_rank(r, d1, d2)
    rng = as_generator(rng)
    lam = (
        np.broadcast_to(np.asarray(signal, dtype=float), (r,)).copy()
        if np.ndim(signal) == 0
        else np.asarray(signal, dtype=float)
    )
    if lam.shape != (r,) or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError(
            f"signal must be a positive number or {r} positive latent variances; got {signal!r}"
        )
    knobs = [
        _per_modality(v, name)
        for v, name in (
            (noise_sd, "noise_sd"),
            (heteroskedasticity, "heteroskedasticity"),
            (nuisance_rank, "nuisance_rank"),
            (nuisance_strength, "nuisance_strength"),
            (support, "support"),
        )
    ]
    bases, noises = [], []
    for m, d in enumerate((d1, d2)):
        sd, het, k, strength, supp = (knob[m] for knob in knobs)
        supp = d if supp is None else supp
        bases.append(coherent_orthonormal(d, r, supp, rng))
        noises.append(_noise(d, sd, het, k, strength, rng, m + 1))
    return TwoModalityModel(U1=bases[0], U2=bases[1], lam=lam, noise1=noises[0], noise2=noises[1])


def mismatch(Y, eps: float, *, rng):
    """Break a fraction ``eps`` of the pairs by shuffling their partners.

    ``k = round(eps * n)`` rows of ``Y`` are chosen at random and cyclically
    shifted among themselves, so each of them lands next to a wrong ``x``
    (exactly k broken pairs; a single pair cannot be broken on its own, so
    ``k = 1`` becomes 2). Introduced in the chapter `robustness`.

    Parameters
    ----------
    Y : array, shape (n, d)
        Partners of the rows of X, in order.
    eps : float in [0, 1]
        Fraction of pairs to break.
    rng : numpy.random.Generator or int

    Returns
    -------
    Y_shuffled : ndarray, shape (n, d)
    matched : ndarray of bool, shape (n,)
        True where row i still holds its own partner.

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> Y = np.arange(10.0)[:, None]
    >>> Ys, matched = mmcl.mismatch(Y, 0.3, rng=np.random.default_rng(0))
    >>> int((~matched).sum()), bool(np.all((Ys[:, 0] == Y[:, 0]) == matched))
    (3, True)
    """
    Y = as_data(Y, "Y")
    eps = as_probability(eps, "eps")
    rng = as_generator(rng)
    n = Y.shape[0]
    k = int(round(eps * n))
    k = 2 if k == 1 else k
    order = np.arange(n)
    chosen = rng.choice(n, size=k, replace=False)
    order[chosen] = np.roll(chosen, 1)
    return Y[order], order == np.arange(n)


@dataclass(frozen=True)
class UnpairedSample:
    """Unpaired samples and the hidden truth (see :func:`sample_unpaired`).

    Introduced in the chapter `unpaired`.

    Attributes
    ----------
    Xu : ndarray, shape (m1, d1)
    Yu : ndarray, shape (m2, d2)
    truth : ndarray of int, shape (k, 2)
        The true pairs ``(row of Xu, row of Yu)`` (same latent), sorted by row
        of ``Xu``. For evaluation only: the algorithms never see it.
    """

    Xu: np.ndarray
    Yu: np.ndarray
    truth: np.ndarray


def sample_unpaired(
    model: TwoModalityModel,
    m1: int,
    m2: int | None = None,
    *,
    partner_fraction: float = 1.0,
    batch_size: int | None = None,
    rng,
) -> UnpairedSample:
    """Draw unpaired samples from the two-modality model, partners hidden.

    ``k = round(partner_fraction * min(m1, m2))`` x's have their partner (the
    same latent ``z``) among the y's; the other rows have none. The rows of
    ``Xu`` and of ``Yu`` are shuffled independently, so the partner of a row is
    unknown. With ``batch_size`` (requires ``m1 == m2``, a multiple of it) the
    y's are shuffled only within consecutive blocks of ``batch_size`` rows, so
    a partner always sits in the same block, as in the experiment of
    Nakada et al. (2023, Section 5.1). Introduced in the
    chapter `unpaired`.

    Parameters
    ----------
    model : TwoModalityModel
    m1, m2 : int >= 1
        Numbers of unpaired x's and y's (``m2`` defaults to ``m1``).
    partner_fraction : float in [0, 1]
    batch_size : int, optional
    rng : numpy.random.Generator or int

    Returns
    -------
    UnpairedSample

    Examples
    --------
    >>> import numpy as np, mmcl
    >>> model = mmcl.make_model(10, 8, 2, rng=0, noise_sd=0.1)
    >>> s = mmcl.sample_unpaired(model, 6, 5, partner_fraction=0.6, rng=1)
    >>> s.Xu.shape, s.Yu.shape, s.truth.shape
    ((6, 10), (5, 8), (3, 2))
    """
    if not isinstance(model, TwoModalityModel):
        raise TypeError(
            f"model must be a TwoModalityModel (see mmcl.make_model); got {type(model).__name__}"
        )
    m1 = as_int(m1, "m1", low=1)
    m2 = m1 if m2 is None else as_int(m2, "m2", low=1)
    f = as_probability(partner_fraction, "partner_fraction")
    rng = as_generator(rng)
    if batch_size is not None:
        batch_size = as_int(batch_size, "batch_size", low=1)
        if m1 != m2 or m1 % batch_size:
            raise ValueError(
                f"batch_size needs m1 == m2, a multiple of batch_size; got m1={m1}, m2={m2}, "
                f"batch_size={batch_size}"
            )
    k = int(round(f * min(m1, m2)))
    sd = np.sqrt(model.lam)
    Z1 = rng.standard_normal((m1, model.r)) * sd
    Z2 = rng.standard_normal((m2, model.r)) * sd
    Z2[:k] = Z1[:k]  # slot i < k: x_i and y_i share their latent
    X = Z1 @ model.U1.T + model.noise1.sample(m1, rng)
    Y = Z2 @ model.U2.T + model.noise2.sample(m2, rng)
    if batch_size is None:
        p1, p2 = rng.permutation(m1), rng.permutation(m2)
    else:  # same slot order on both sides, then y's shuffled inside each block
        p1 = rng.permutation(m1)
        p2 = rng.permuted(p1.reshape(-1, batch_size), axis=1).ravel()
    row1, row2 = np.empty(m1, int), np.empty(m2, int)
    row1[p1], row2[p2] = np.arange(m1), np.arange(m2)  # slot -> row
    truth = np.column_stack([row1[:k], row2[:k]])
    truth = truth[np.argsort(truth[:, 0])]
    return UnpairedSample(Xu=X[p1], Yu=Y[p2], truth=truth)
