"""Bad input is refused with a TypeError or ValueError whose message names the argument.

One table covers every public function of ``mmcl.__all__`` (and the loss classes, whose
constructors validate) and every public runner of ``mmcl.experiments``.
"""

import inspect
import re

import numpy as np
import pytest

import mmcl
import mmcl.experiments as ex
from mmcl.experiments import loss_to_svd as ex_loss_to_svd
from mmcl.experiments import loss_to_svd_threshold as ex_threshold
from mmcl.experiments import loss_zoo as ex_loss_zoo
from mmcl.experiments import loss_zoo_fits as ex_loss_zoo_fits
from mmcl.experiments import multiview as ex_multiview
from mmcl.experiments import multiview_cleaning as ex_multiview_cleaning
from mmcl.experiments import paper as ex_paper
from mmcl.experiments import regime_map as ex_regime_map
from mmcl.experiments import robustness as ex_robustness
from mmcl.experiments import robustness_fits as ex_robustness_fits
from mmcl.experiments import sampling as ex_sampling
from mmcl.experiments import unpaired as ex_unpaired

rng = np.random.default_rng(0)
X = rng.standard_normal((10, 4))
Y = rng.standard_normal((10, 3))
G1 = rng.standard_normal((2, 4))
G2 = rng.standard_normal((2, 3))
Xu, Yu = rng.standard_normal((6, 4)), rng.standard_normal((5, 3))
loss = mmcl.clip_loss()
generic = mmcl.ContrastiveLoss(phi=np.log1p, dphi=lambda u: 1 / (1 + u), psi=np.exp, dpsi=np.exp)
model = mmcl.make_model(5, 4, 2, rng=0)
square = mmcl.make_model(6, 6, 2, rng=0)
SIGMA = np.array([[2.0, 0.5], [0.5, 1.0]])
TRUTH = np.array([[0, 0], [1, 1]])


def with_nan(A):
    A = np.array(A, dtype=float)
    A.flat[1] = np.nan
    return A


def with_inf(A):
    A = np.array(A, dtype=float)
    A.flat[0] = np.inf
    return A


CASES = []


def bad(target, description, call, error, name, pattern=None):
    """A call of ``target`` that must raise ``error`` with a message naming ``name``."""
    CASES.append(
        pytest.param(
            target,
            call,
            error,
            pattern or rf"(?<![\w.]){re.escape(name)}(?!\w)",
            id=f"{target.__name__}: {description}",
        )
    )


# --- losses -----------------------------------------------------------------------
F = mmcl
bad(F.clip_loss, "tau zero", lambda: F.clip_loss(tau=0.0), ValueError, "tau")
bad(F.clip_loss, "tau negative", lambda: F.clip_loss(tau=-0.5), ValueError, "tau")
bad(F.clip_loss, "tau NaN", lambda: F.clip_loss(tau=float("nan")), ValueError, "tau")
bad(F.clip_loss, "tau infinite", lambda: F.clip_loss(tau=np.inf), ValueError, "tau")
bad(F.clip_loss, "tau a string", lambda: F.clip_loss(tau="1"), TypeError, "tau")
bad(F.clip_loss, "rho negative", lambda: F.clip_loss(rho=-1.0), ValueError, "rho")
bad(F.linear_loss, "rho a string", lambda: F.linear_loss(rho="1"), TypeError, "rho")
bad(F.linear_loss, "rho NaN", lambda: F.linear_loss(rho=np.nan), ValueError, "rho")
bad(F.linear_loss, "rho infinite", lambda: F.linear_loss(rho=np.inf), ValueError, "rho")
bad(F.LogitLoss, "rho negative", lambda: F.LogitLoss(rho=-1.0), ValueError, "rho")
bad(
    F.ContrastiveLoss,
    "phi not callable",
    lambda: F.ContrastiveLoss(phi=1.0, dphi=np.ones_like, psi=np.exp, dpsi=np.exp),
    TypeError,
    "phi",
)
bad(
    F.ContrastiveLoss,
    "dpsi missing",
    lambda: F.ContrastiveLoss(phi=np.log1p, dphi=np.ones_like, psi=np.exp, dpsi=None),
    TypeError,
    "dpsi",
)
bad(F.CLIPLoss, "tau zero", lambda: F.CLIPLoss(tau=0.0), ValueError, "tau")
bad(F.LinearLoss, "rho negative", lambda: F.LinearLoss(rho=-0.1), ValueError, "rho")
bad(F.LogitLoss, "value: NaN in X", lambda: loss.value(G1, G2, with_nan(X), Y), ValueError, "X")
bad(F.LogitLoss, "value: G1 wrong width", lambda: loss.value(G1[:, :3], G2, X, Y), ValueError, "G1")
bad(
    F.LogitLoss,
    "gradient: G2 wrong width",
    lambda: loss.gradient(G1, G2[:, :2], X, Y),
    ValueError,
    "G2",
)
bad(
    F.LogitLoss,
    "weights: G1, G2 different r",
    lambda: loss.weights(G1, G2[:1], X, Y),
    ValueError,
    "G2",
)
bad(F.LogitLoss, "value: NaN in G2", lambda: loss.value(G1, with_nan(G2), X, Y), ValueError, "G2")
bad(
    F.LogitLoss,
    "cross_covariance: n mismatch",
    lambda: loss.cross_covariance(G1, G2, X, Y[:8]),
    ValueError,
    "Y",
)
bad(
    F.LogitLoss,
    "value_and_gradient: one sample",
    lambda: loss.value_and_gradient(G1, G2, X[:1], Y[:1]),
    ValueError,
    "X",
)
bad(
    F.contrastive_cross_covariance,
    "beta wrong shape",
    lambda: F.contrastive_cross_covariance(X, Y, np.eye(9)),
    ValueError,
    "beta",
)
bad(
    F.contrastive_cross_covariance,
    "beta with inf",
    lambda: F.contrastive_cross_covariance(X, Y, with_inf(np.eye(10))),
    ValueError,
    "beta",
)
bad(
    F.contrastive_cross_covariance,
    "X is 1-D",
    lambda: F.contrastive_cross_covariance(X[:, 0], Y, np.eye(10)),
    ValueError,
    "X",
)
bad(
    F.linear_cross_covariance,
    "NaN in X",
    lambda: F.linear_cross_covariance(with_nan(X), Y),
    ValueError,
    "X",
)
bad(
    F.linear_cross_covariance,
    "inf in Y",
    lambda: F.linear_cross_covariance(X, with_inf(Y)),
    ValueError,
    "Y",
)
bad(
    F.linear_cross_covariance,
    "n mismatch",
    lambda: F.linear_cross_covariance(X, Y[:9]),
    ValueError,
    "Y",
)
bad(
    F.linear_cross_covariance,
    "one sample",
    lambda: F.linear_cross_covariance(X[:1], Y[:1]),
    ValueError,
    "X",
)
bad(
    F.finite_difference_gradient,
    "loss not a loss",
    lambda: F.finite_difference_gradient("clip", G1, G2, X, Y),
    TypeError,
    "loss",
)
bad(
    F.finite_difference_gradient,
    "h zero",
    lambda: F.finite_difference_gradient(loss, G1, G2, X, Y, h=0.0),
    ValueError,
    "h",
)
bad(
    F.finite_difference_hessian,
    "loss not a loss",
    lambda: F.finite_difference_hessian(None, G1, G2, X, Y),
    TypeError,
    "loss",
)
bad(
    F.finite_difference_hessian,
    "h negative",
    lambda: F.finite_difference_hessian(loss, G1, G2, X, Y, h=-1e-5),
    ValueError,
    "h",
)
bad(
    F.finite_difference_hessian,
    "G1 wrong width",
    lambda: F.finite_difference_hessian(loss, G1[:, :2], G2, X, Y),
    ValueError,
    "G1",
)


# --- memory budget ------------------------------------------------------------------
def within_budget(nbytes, call):
    """Run ``call`` under a memory budget of ``nbytes``, then restore the budget."""
    previous = mmcl.set_memory_budget(nbytes)
    try:
        return call()
    finally:
        mmcl.set_memory_budget(previous)


SMALL_BUDGET = 8 * 10 * 10 - 1  # bytes: less than one 10 x 10 float64 array
MBE = mmcl.MemoryBudgetError
bad(F.set_memory_budget, "negative", lambda: F.set_memory_budget(-1), ValueError, "nbytes")
bad(F.set_memory_budget, "NaN", lambda: F.set_memory_budget(float("nan")), ValueError, "nbytes")
bad(F.set_memory_budget, "a string", lambda: F.set_memory_budget("1 GB"), TypeError, "nbytes")
bad(
    F.LogitLoss,
    "value above the memory budget",
    lambda: within_budget(SMALL_BUDGET, lambda: loss.value(G1, G2, X, Y)),
    MBE,
    "n",
)
bad(
    F.LogitLoss,
    "weights above the memory budget",
    lambda: within_budget(SMALL_BUDGET, lambda: F.linear_loss().weights(G1, G2, X, Y)),
    MBE,
    "n",
)
bad(
    F.ContrastiveLoss,
    "cross_covariance above the memory budget",
    lambda: within_budget(4 * 8 * 100, lambda: generic.cross_covariance(G1, G2, X, Y)),
    MBE,
    "n",
)
bad(
    F.CLIPLoss,
    "second_order above the memory budget",
    lambda: within_budget(8 * 100, lambda: loss.second_order(G1, G2, X, Y)),
    MBE,
    "n",
)

# --- solvers ----------------------------------------------------------------------
bad(F.fit_svd, "X is 1-D", lambda: F.fit_svd(X[:, 0], Y, 1), ValueError, "X")
bad(F.fit_svd, "X is a string", lambda: F.fit_svd("data", Y, 1), TypeError, "X")
bad(F.fit_svd, "Y holds complex numbers", lambda: F.fit_svd(X, Y + 1j, 1), TypeError, "Y")
bad(F.fit_svd, "n mismatch", lambda: F.fit_svd(X, Y[:8], 1), ValueError, "Y")
bad(F.fit_svd, "one sample", lambda: F.fit_svd(X[:1], Y[:1], 1), ValueError, "X")
bad(F.fit_svd, "r too large", lambda: F.fit_svd(X, Y, 4), ValueError, "r")
bad(F.fit_svd, "r zero", lambda: F.fit_svd(X, Y, 0), ValueError, "r")
bad(F.fit_svd, "r not an integer", lambda: F.fit_svd(X, Y, 1.5), TypeError, "r")
bad(F.fit_svd, "r a bool", lambda: F.fit_svd(X, Y, True), TypeError, "r")
bad(F.fit_svd, "NaN in X", lambda: F.fit_svd(with_nan(X), Y, 1), ValueError, "X")
bad(F.fit_svd, "inf in Y", lambda: F.fit_svd(X, with_inf(Y), 1), ValueError, "Y")
bad(F.fit_svd, "rho zero", lambda: F.fit_svd(X, Y, 1, rho=0.0), ValueError, "rho")
bad(
    F.fit_svd,
    "weights negative",
    lambda: F.fit_svd(X, Y, 1, weights=-np.ones(10)),
    ValueError,
    "weights",
)
bad(
    F.fit_svd,
    "weights wrong shape",
    lambda: F.fit_svd(X, Y, 1, weights=np.ones(9)),
    ValueError,
    "weights",
)
bad(F.fit_cca, "r too large", lambda: F.fit_cca(X, Y, 4), ValueError, "r")
bad(F.fit_cca, "NaN in X", lambda: F.fit_cca(with_nan(X), Y, 1), ValueError, "X")
bad(F.fit_cca, "ridge negative", lambda: F.fit_cca(X, Y, 1, ridge=-1.0), ValueError, "ridge")
bad(
    F.fit_cca,
    "weights wrong shape",
    lambda: F.fit_cca(X, Y, 1, weights=np.ones(3)),
    ValueError,
    "weights",
)
bad(
    F.fit_cca,
    "unknown whitening",
    lambda: F.fit_cca(X, Y, 1, whitening="zca"),
    ValueError,
    "whitening",
)
bad(F.fit_cca, "singular covariance", lambda: F.fit_cca(X[:3], Y[:3], 1), ValueError, "ridge")
bad(
    F.weighted_cross_covariance,
    "weights negative",
    lambda: F.weighted_cross_covariance(X, Y, -np.ones(len(X))),
    ValueError,
    "weights",
)
bad(
    F.weighted_cross_covariance,
    "n mismatch",
    lambda: F.weighted_cross_covariance(X, Y[:-1]),
    ValueError,
    "X and Y",
)
bad(
    F.fit_svd_from_cross_covariance,
    "S with NaN",
    lambda: F.fit_svd_from_cross_covariance(with_nan(np.eye(3)), 1),
    ValueError,
    "S",
)
bad(
    F.fit_svd_from_cross_covariance,
    "S is 1-D",
    lambda: F.fit_svd_from_cross_covariance(np.ones(3), 1),
    ValueError,
    "S",
)
bad(
    F.fit_svd_from_cross_covariance,
    "r too large",
    lambda: F.fit_svd_from_cross_covariance(np.eye(3)[:, :2], 3),
    ValueError,
    "r",
)
bad(
    F.fit_svd_from_cross_covariance,
    "rho negative",
    lambda: F.fit_svd_from_cross_covariance(np.eye(3), 1, rho=-1.0),
    ValueError,
    "rho",
)
bad(
    F.fit_gd,
    "loss not a loss",
    lambda: F.fit_gd(X, Y, 1, "clip", steps=1, lr=0.1, rng=0),
    TypeError,
    "loss",
)
bad(
    F.fit_gd,
    "steps negative",
    lambda: F.fit_gd(X, Y, 1, loss, steps=-1, lr=0.1, rng=0),
    ValueError,
    "steps",
)
bad(
    F.fit_gd,
    "steps a float",
    lambda: F.fit_gd(X, Y, 1, loss, steps=1.5, lr=0.1, rng=0),
    TypeError,
    "steps",
)
bad(F.fit_gd, "lr zero", lambda: F.fit_gd(X, Y, 1, loss, steps=1, lr=0.0, rng=0), ValueError, "lr")
bad(
    F.fit_gd,
    "rng None",
    lambda: F.fit_gd(X, Y, 1, loss, steps=1, lr=0.1, rng=None),
    TypeError,
    "rng",
)
bad(
    F.fit_gd,
    "rng a string",
    lambda: F.fit_gd(X, Y, 1, loss, steps=1, lr=0.1, rng="seed"),
    TypeError,
    "rng",
)
bad(
    F.fit_gd,
    "rng a float",
    lambda: F.fit_gd(X, Y, 1, loss, steps=1, lr=0.1, rng=1.0),
    TypeError,
    "rng",
)
bad(
    F.fit_gd,
    "init of wrong r",
    lambda: F.fit_gd(X, Y, 1, loss, steps=1, lr=0.1, rng=0, init=(G1, G2)),
    ValueError,
    "init",
)
bad(
    F.fit_gd,
    "init not a pair",
    lambda: F.fit_gd(X, Y, 2, loss, steps=1, lr=0.1, rng=0, init=G1),
    TypeError,
    "init",
)
bad(
    F.fit_gd,
    "init_scale zero",
    lambda: F.fit_gd(X, Y, 1, loss, steps=1, lr=0.1, rng=0, init_scale=0.0),
    ValueError,
    "init_scale",
)
bad(
    F.fit_gd,
    "record_every zero",
    lambda: F.fit_gd(X, Y, 1, loss, steps=1, lr=0.1, rng=0, record_every=0),
    ValueError,
    "record_every",
)
bad(
    F.fit_gd,
    "NaN in Y",
    lambda: F.fit_gd(X, with_nan(Y), 1, loss, steps=1, lr=0.1, rng=0),
    ValueError,
    "Y",
)
bad(F.polish, "init missing", lambda: F.polish(X, Y, loss, init=None), TypeError, "init")
bad(
    F.polish, "gtol zero", lambda: F.polish(X, Y, loss, init=(G1, G2), gtol=0.0), ValueError, "gtol"
)
bad(
    F.polish,
    "maxiter zero",
    lambda: F.polish(X, Y, loss, init=(G1, G2), maxiter=0),
    ValueError,
    "maxiter",
)
bad(F.polish, "loss not a loss", lambda: F.polish(X, Y, "clip", init=(G1, G2)), TypeError, "loss")
bad(
    F.spectral_selection,
    "S wrong shape",
    lambda: F.spectral_selection(G1, G2, np.eye(3), rho=1.0),
    ValueError,
    "S",
)
bad(
    F.spectral_selection,
    "rho zero",
    lambda: F.spectral_selection(G1, G2, np.ones((4, 3)), rho=0.0),
    ValueError,
    "rho",
)
bad(
    F.spectral_selection,
    "NaN in G1",
    lambda: F.spectral_selection(with_nan(G1), G2, np.ones((4, 3)), rho=1.0),
    ValueError,
    "G1",
)
bad(
    F.spectral_selection,
    "G1, G2 different r",
    lambda: F.spectral_selection(G1, G2[:1], np.ones((4, 3)), rho=1.0),
    ValueError,
    "G2",
)
bad(
    F.selection_grid,
    "taus negative",
    lambda: F.selection_grid(X, Y, 1, taus=[1.0, -1.0], rhos=[1.0], rng=0),
    ValueError,
    "taus",
)
bad(
    F.selection_grid,
    "taus empty",
    lambda: F.selection_grid(X, Y, 1, taus=[], rhos=[1.0], rng=0),
    ValueError,
    "taus",
)
bad(
    F.selection_grid,
    "rhos zero",
    lambda: F.selection_grid(X, Y, 1, taus=[1.0], rhos=[0.0], rng=0),
    ValueError,
    "rhos",
)
bad(
    F.selection_grid,
    "rhos nested",
    lambda: F.selection_grid(X, Y, 1, taus=[1.0], rhos=[[1.0]], rng=0),
    ValueError,
    "rhos",
)
bad(
    F.selection_grid,
    "r too large",
    lambda: F.selection_grid(X, Y, 9, taus=[1.0], rhos=[1.0], rng=0),
    ValueError,
    "r",
)
bad(
    F.selection_grid,
    "steps negative",
    lambda: F.selection_grid(X, Y, 1, taus=[1.0], rhos=[1.0], rng=0, steps=-1),
    ValueError,
    "steps",
)
bad(
    F.selection_grid,
    "init_scale zero",
    lambda: F.selection_grid(X, Y, 1, taus=[1.0], rhos=[1.0], rng=0, init_scale=0.0),
    ValueError,
    "init_scale",
)
bad(
    F.selection_grid,
    "lr zero",
    lambda: F.selection_grid(X, Y, 1, taus=[1.0], rhos=[1.0], rng=0, lr=0.0),
    ValueError,
    "lr",
)
bad(
    F.selection_grid,
    "rng a string",
    lambda: F.selection_grid(X, Y, 1, taus=[1.0], rhos=[1.0], rng="seed"),
    TypeError,
    "rng",
)
bad(
    F.selection_grid,
    "n mismatch",
    lambda: F.selection_grid(X, Y[:-1], 1, taus=[1.0], rhos=[1.0], rng=0),
    ValueError,
    "Y",
)

# --- metrics ----------------------------------------------------------------------
bad(
    F.sin_theta,
    "A rank deficient",
    lambda: F.sin_theta(np.zeros((3, 1)), np.eye(3)[:, :1]),
    ValueError,
    "A",
)
bad(
    F.sin_theta,
    "rows differ",
    lambda: F.sin_theta(np.eye(3)[:, :1], np.eye(4)[:, :1]),
    ValueError,
    "B",
)
bad(
    F.sin_theta,
    "B too many columns",
    lambda: F.sin_theta(np.eye(3)[:, :1], np.ones((2, 3))),
    ValueError,
    "B",
)
bad(
    F.sin_theta,
    "NaN in A",
    lambda: F.sin_theta(with_nan(np.eye(3)[:, :2]), np.eye(3)[:, :1]),
    ValueError,
    "A",
)
bad(F.orthonormal_basis, "A is 1-D", lambda: F.orthonormal_basis(np.ones(3)), ValueError, "A")
bad(
    F.orthonormal_basis,
    "A rank deficient",
    lambda: F.orthonormal_basis(np.ones((3, 2))),
    ValueError,
    "A",
)
bad(
    F.retrieval_accuracy,
    "shapes differ",
    lambda: F.retrieval_accuracy(np.ones((3, 2)), np.ones((4, 2))),
    ValueError,
    "E2",
)
bad(
    F.retrieval_accuracy,
    "NaN in E1",
    lambda: F.retrieval_accuracy(with_nan(np.ones((3, 2))), np.ones((3, 2))),
    ValueError,
    "E1",
)
bad(
    F.probe_accuracy,
    "labels_train wrong length",
    lambda: F.probe_accuracy(np.ones((3, 2)), [0, 1], np.ones((2, 2)), [0, 1]),
    ValueError,
    "labels_train",
)
bad(
    F.probe_accuracy,
    "labels_test wrong length",
    lambda: F.probe_accuracy(np.ones((3, 2)), [0, 1, 1], np.ones((2, 2)), [0]),
    ValueError,
    "labels_test",
)
bad(
    F.probe_accuracy,
    "ridge negative",
    lambda: F.probe_accuracy(np.ones((3, 2)), [0, 1, 1], np.ones((2, 2)), [0, 1], ridge=-1.0),
    ValueError,
    "ridge",
)
bad(
    F.probe_accuracy,
    "E_test columns",
    lambda: F.probe_accuracy(np.ones((3, 2)), [0, 1, 1], np.ones((2, 3)), [0, 1]),
    ValueError,
    "E_test",
)
bad(
    F.probe_accuracy,
    "one training row",
    lambda: F.probe_accuracy(np.ones((1, 2)), [0], np.ones((2, 2)), [0, 1]),
    ValueError,
    "E_train",
)
bad(
    F.detection_scores,
    "pairs not (k, 2)",
    lambda: F.detection_scores(np.arange(4), TRUTH),
    ValueError,
    "pairs",
)
bad(
    F.detection_scores,
    "truth not (t, 2)",
    lambda: F.detection_scores(TRUTH, np.ones((2, 3), int)),
    ValueError,
    "truth",
)
bad(
    F.detection_scores,
    "pairs not integers",
    lambda: F.detection_scores(TRUTH + 0.5, TRUTH),
    ValueError,
    "pairs",
)

# --- data -------------------------------------------------------------------------
bad(F.make_model, "r > d", lambda: F.make_model(5, 4, 6, rng=0), ValueError, "r")
bad(F.make_model, "d1 zero", lambda: F.make_model(0, 4, 1, rng=0), ValueError, "d1")
bad(
    F.make_model,
    "negative noise",
    lambda: F.make_model(5, 4, 2, rng=0, noise_sd=-1.0),
    ValueError,
    "noise_sd",
)
bad(
    F.make_model,
    "noise_sd three values",
    lambda: F.make_model(5, 4, 2, rng=0, noise_sd=(1.0, 1.0, 1.0)),
    ValueError,
    "noise_sd",
)
bad(
    F.make_model,
    "negative heteroskedasticity",
    lambda: F.make_model(5, 5, 2, rng=0, heteroskedasticity=-1.0),
    ValueError,
    "heteroskedasticity",
)
bad(
    F.make_model,
    "signal non-positive",
    lambda: F.make_model(5, 4, 2, rng=0, signal=[1.0, 0.0]),
    ValueError,
    "signal",
)
bad(
    F.make_model,
    "nuisance_rank above d",
    lambda: F.make_model(5, 4, 2, rng=0, nuisance_rank=9),
    ValueError,
    "nuisance_rank",
)
bad(
    F.make_model,
    "support below r",
    lambda: F.make_model(5, 4, 2, rng=0, support=1),
    ValueError,
    "support",
)
bad(F.make_model, "rng None", lambda: F.make_model(5, 4, 2, rng=None), TypeError, "rng")
bad(
    F.TwoModalityModel,
    "sample: eps above 1",
    lambda: model.sample(10, eps=1.5, rng=0),
    ValueError,
    "eps",
)
bad(
    F.TwoModalityModel,
    "sample: eps negative",
    lambda: model.sample(10, eps=-0.1, rng=0),
    ValueError,
    "eps",
)
bad(F.TwoModalityModel, "sample: n = 1", lambda: model.sample(1, rng=0), ValueError, "n")
bad(F.TwoModalityModel, "sample: rng a string", lambda: model.sample(5, rng="x"), TypeError, "rng")
bad(
    F.TwoModalityModel,
    "covariance: modality 3",
    lambda: model.covariance(3),
    ValueError,
    "modality",
)
bad(F.random_orthonormal, "r > d", lambda: F.random_orthonormal(3, 4, 0), ValueError, "r")
bad(F.random_orthonormal, "rng None", lambda: F.random_orthonormal(3, 2, None), TypeError, "rng")
bad(
    F.coherent_orthonormal,
    "support below r",
    lambda: F.coherent_orthonormal(10, 3, 2, 0),
    ValueError,
    "support",
)
bad(
    F.coherent_orthonormal,
    "support above d",
    lambda: F.coherent_orthonormal(10, 3, 11, 0),
    ValueError,
    "support",
)
bad(F.coherence, "U is 1-D", lambda: F.coherence(np.ones(3)), ValueError, "U")
bad(F.coherence, "U with NaN", lambda: F.coherence(with_nan(np.eye(3)[:, :2])), ValueError, "U")
bad(
    F.mismatch, "eps negative", lambda: F.mismatch(np.zeros((5, 2)), -0.1, rng=0), ValueError, "eps"
)
bad(F.mismatch, "Y is 1-D", lambda: F.mismatch(np.zeros(5), 0.1, rng=0), ValueError, "Y")
bad(F.mismatch, "rng None", lambda: F.mismatch(np.zeros((5, 2)), 0.1, rng=None), TypeError, "rng")
bad(
    F.sample_unpaired,
    "model not a model",
    lambda: F.sample_unpaired("model", 5, rng=0),
    TypeError,
    "model",
)
bad(
    F.sample_unpaired,
    "partner_fraction above 1",
    lambda: F.sample_unpaired(model, 5, partner_fraction=1.5, rng=0),
    ValueError,
    "partner_fraction",
)
bad(F.sample_unpaired, "m1 zero", lambda: F.sample_unpaired(model, 0, rng=0), ValueError, "m1")
bad(F.sample_unpaired, "m2 zero", lambda: F.sample_unpaired(model, 3, 0, rng=0), ValueError, "m2")
bad(
    F.sample_unpaired,
    "batch_size with m1 != m2",
    lambda: F.sample_unpaired(model, 10, 8, batch_size=5, rng=0),
    ValueError,
    "batch_size",
)

# --- baselines --------------------------------------------------------------------
bad(
    F.unimodal_contrastive,
    "r too large",
    lambda: F.unimodal_contrastive(X, 5, rng=0),
    ValueError,
    "r",
)
bad(
    F.unimodal_contrastive,
    "augmentations zero",
    lambda: F.unimodal_contrastive(X, 2, rng=0, augmentations=0),
    ValueError,
    "augmentations",
)
bad(
    F.unimodal_contrastive,
    "rng a string",
    lambda: F.unimodal_contrastive(X, 2, rng="seed"),
    TypeError,
    "rng",
)
bad(
    F.unimodal_contrastive,
    "one sample",
    lambda: F.unimodal_contrastive(X[:1], 1, rng=0),
    ValueError,
    "X",
)
bad(
    F.unimodal_contrastive_population,
    "Sigma not square",
    lambda: F.unimodal_contrastive_population(np.ones((3, 2)), 1),
    ValueError,
    "Sigma",
)
bad(
    F.unimodal_contrastive_population,
    "r too large",
    lambda: F.unimodal_contrastive_population(SIGMA, 3),
    ValueError,
    "r",
)
bad(F.pca, "one sample", lambda: F.pca(X[:1], 1), ValueError, "X")
bad(F.pca, "r too large", lambda: F.pca(X, 5), ValueError, "r")
bad(F.pca, "NaN in X", lambda: F.pca(with_nan(X), 1), ValueError, "X")
bad(
    F.masked_view_covariance,
    "augmentations zero",
    lambda: F.masked_view_covariance(X, rng=0, augmentations=0),
    ValueError,
    "augmentations",
)
bad(
    F.masked_view_covariance,
    "rng None",
    lambda: F.masked_view_covariance(X, rng=None),
    TypeError,
    "rng",
)
bad(
    F.masked_view_covariance,
    "inf in X",
    lambda: F.masked_view_covariance(with_inf(X), rng=0),
    ValueError,
    "X",
)
bad(
    F.masked_view_covariance_population,
    "Sigma not symmetric",
    lambda: F.masked_view_covariance_population(np.array([[1.0, 2.0], [0.0, 1.0]])),
    ValueError,
    "Sigma",
)
bad(
    F.masked_view_covariance_population,
    "negative variance",
    lambda: F.masked_view_covariance_population(-np.eye(2)),
    ValueError,
    "Sigma",
)

# --- matching and unpaired data ---------------------------------------------------
bad(
    F.match_pairs,
    "similarity is 1-D",
    lambda: F.match_pairs(np.ones(3), 0.0),
    ValueError,
    "similarity",
)
bad(
    F.match_pairs,
    "NaN similarity",
    lambda: F.match_pairs(with_nan(np.ones((2, 2))), 0.0),
    ValueError,
    "similarity",
)
bad(F.match_pairs, "theta NaN", lambda: F.match_pairs(np.ones((2, 2)), np.nan), ValueError, "theta")
bad(
    F.match_pairs,
    "theta a string",
    lambda: F.match_pairs(np.ones((2, 2)), "0.5"),
    TypeError,
    "theta",
)
bad(
    F.decoy_threshold,
    "target_fdr zero",
    lambda: F.decoy_threshold([1.0], [0.5], 0.0),
    ValueError,
    "target_fdr",
)
bad(
    F.decoy_threshold,
    "target_fdr one",
    lambda: F.decoy_threshold([1.0], [0.5], 1.0),
    ValueError,
    "target_fdr",
)
bad(
    F.decoy_threshold,
    "NaN in real",
    lambda: F.decoy_threshold([1.0, np.nan], [0.5], 0.1),
    ValueError,
    "real",
)
bad(
    F.decoy_threshold,
    "inf in decoy",
    lambda: F.decoy_threshold([1.0], [np.inf], 0.1),
    ValueError,
    "decoy",
)
bad(
    F.fit_with_pairs,
    "pairs reuse a row",
    lambda: F.fit_with_pairs(X, Y, Xu, Yu, 2, pairs=[[0, 0], [1, 0]]),
    ValueError,
    "pairs",
)
bad(
    F.fit_with_pairs,
    "pairs out of range",
    lambda: F.fit_with_pairs(X, Y, Xu, Yu, 2, pairs=[[0, 9]]),
    ValueError,
    "pairs",
)
bad(
    F.fit_with_pairs,
    "pairs not integers",
    lambda: F.fit_with_pairs(X, Y, Xu, Yu, 2, pairs=[[0.0, 1.0]]),
    ValueError,
    "pairs",
)
bad(
    F.fit_with_pairs,
    "lam negative",
    lambda: F.fit_with_pairs(X, Y, Xu, Yu, 2, pairs=TRUTH, lam=-1.0),
    ValueError,
    "lam",
)
bad(
    F.fit_with_pairs,
    "Xu wrong width",
    lambda: F.fit_with_pairs(X, Y, Xu[:, :3], Yu, 2, pairs=TRUTH),
    ValueError,
    "Xu",
)
bad(
    F.fit_with_unpaired,
    "Xu wrong width",
    lambda: F.fit_with_unpaired(X, Y, Xu[:, :3], Yu, 2),
    ValueError,
    "Xu",
)
bad(
    F.fit_with_unpaired,
    "Yu wrong width",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu[:, :2], 2),
    ValueError,
    "Yu",
)
bad(
    F.fit_with_unpaired,
    "n mismatch",
    lambda: F.fit_with_unpaired(X, Y[:-1], Xu, Yu, 2),
    ValueError,
    "Y",
)
bad(
    F.fit_with_unpaired,
    "Xu empty",
    lambda: F.fit_with_unpaired(X, Y, Xu[:0], Yu, 2),
    ValueError,
    "Xu",
)
bad(
    F.fit_with_unpaired,
    "Yu empty",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu[:0], 2),
    ValueError,
    "Yu",
)
for q in (0.0, 1.0, 1.5, -0.1):
    bad(
        F.fit_with_unpaired,
        f"target_fdr {q}",
        lambda q=q: F.fit_with_unpaired(X, Y, Xu, Yu, 2, target_fdr=q),
        ValueError,
        "target_fdr",
    )
bad(
    F.fit_with_unpaired,
    "r too large",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 4),
    ValueError,
    "r",
)
bad(
    F.fit_with_unpaired,
    "theta unknown word",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, theta="automatic"),
    ValueError,
    "theta",
)
bad(
    F.fit_with_unpaired,
    "theta NaN",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, theta=np.nan),
    ValueError,
    "theta",
)
bad(
    F.fit_with_unpaired,
    "theta a list",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, theta=[0.5]),
    TypeError,
    "theta",
)
bad(
    F.fit_with_unpaired,
    "lam negative",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, lam=-1.0),
    ValueError,
    "lam",
)
bad(
    F.fit_with_unpaired,
    "rounds zero",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, rounds=0),
    ValueError,
    "rounds",
)
bad(
    F.fit_with_unpaired,
    "NaN in Xu",
    lambda: F.fit_with_unpaired(X, Y, with_nan(Xu), Yu, 2),
    ValueError,
    "Xu",
)
bad(
    F.fit_with_unpaired,
    "batch_size zero",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, batch_size=0),
    ValueError,
    "batch_size",
)
bad(
    F.fit_with_unpaired,
    "max_assignment_bytes zero",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, max_assignment_bytes=0),
    ValueError,
    "max_assignment_bytes",
)
bad(
    F.fit_with_unpaired,
    "spike count forced below r",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, n_spikes=(1, 2)),
    ValueError,
    "n_spikes",
)
bad(
    F.fit_with_unpaired,
    "n_spikes not a pair",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, n_spikes=3),
    TypeError,
    "n_spikes",
)
bad(
    F.fit_with_unpaired,
    "matching unknown",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, matching="greedy"),
    ValueError,
    "matching",
)
bad(
    F.fit_with_unpaired,
    "kappa zero",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, kappa=0),
    ValueError,
    "kappa",
)
bad(
    F.fit_with_unpaired,
    "tol negative",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, tol=-0.1),
    ValueError,
    "tol",
)
bad(
    F.fit_with_unpaired,
    "groups of the wrong length",
    lambda: F.fit_with_unpaired(X, Y, Xu, Yu, 2, groups=(np.zeros(5, int), np.zeros(5, int))),
    ValueError,
    "groups",
)
bad(
    F.fit_with_unpaired,
    "groups and batch_size",
    lambda: F.fit_with_unpaired(
        X, Y, Xu, Yu, 2, groups=(np.zeros(6, int), np.zeros(5, int)), batch_size=2
    ),
    ValueError,
    "groups",
)
bad(
    F.fit_with_pairs,
    "Yu empty (whitened)",
    lambda: F.fit_with_pairs(X, Y, Xu, Yu[:0], 2, pairs=TRUTH, whiten=True),
    ValueError,
    "Yu",
)
bad(
    F.sparse_match,
    "rows out of range",
    lambda: F.sparse_match([0, 5], [0, 1], [1.0, 1.0], 2, 2),
    ValueError,
    "rows",
)
bad(
    F.sparse_match,
    "weights NaN",
    lambda: F.sparse_match([0, 1], [0, 1], [1.0, np.nan], 2, 2),
    ValueError,
    "weights",
)
bad(
    F.sparse_match,
    "m1 zero",
    lambda: F.sparse_match([], [], [], 0, 2),
    ValueError,
    "m1",
)
bad(
    F.sparse_match,
    "lengths differ",
    lambda: F.sparse_match([0, 1], [0], [1.0, 1.0], 2, 2),
    ValueError,
    "weights",
)
SCORE = mmcl.candidates.cosine_score(Xu[:, :3], Yu)
bad(
    F.match_with_decoy,
    "score not a score",
    lambda: F.match_with_decoy(np.ones((3, 3)), 0.1),
    TypeError,
    "score",
)
bad(
    F.match_with_decoy,
    "target_fdr one",
    lambda: F.match_with_decoy(SCORE, 1.0),
    ValueError,
    "target_fdr",
)
bad(
    F.match_with_decoy,
    "kappa zero",
    lambda: F.match_with_decoy(SCORE, 0.1, kappa=0),
    ValueError,
    "kappa",
)
bad(
    F.match_with_decoy,
    "method unknown",
    lambda: F.match_with_decoy(SCORE, 0.1, method="greedy"),
    ValueError,
    "method",
)
bad(
    F.spike_count,
    "eigenvalues 2-D",
    lambda: F.spike_count(np.ones((3, 3)), 10, 1),
    ValueError,
    "eigenvalues",
)
bad(
    F.spike_count,
    "negative eigenvalue",
    lambda: F.spike_count([3.0, -1.0, 1.0], 10, 1),
    ValueError,
    "eigenvalues",
)
bad(
    F.spike_count,
    "NaN eigenvalue",
    lambda: F.spike_count([3.0, np.nan, 1.0], 10, 1),
    ValueError,
    "eigenvalues",
)
bad(F.spike_count, "dof zero", lambda: F.spike_count([3.0, 1.0], 0, 1), ValueError, "dof")
bad(F.spike_count, "r above d", lambda: F.spike_count([3.0, 1.0], 10, 3), ValueError, "r")
bad(
    F.spike_count,
    "margin zero",
    lambda: F.spike_count([3.0, 1.0], 10, 1, margin=0.0),
    ValueError,
    "margin",
)
bad(F.spiked_whitener, "A 1-D", lambda: F.spiked_whitener(np.ones(5), 1), ValueError, "A")
bad(F.spiked_whitener, "r zero", lambda: F.spiked_whitener(X, 0), ValueError, "r")
bad(
    F.spiked_whitener,
    "spike count forced below r",
    lambda: F.spiked_whitener(X, 2, n_spikes=1),
    ValueError,
    "n_spikes",
)
bad(
    F.spiked_whitener,
    "n_spikes above d",
    lambda: F.spiked_whitener(X, 2, n_spikes=9),
    ValueError,
    "n_spikes",
)
bad(
    F.loading_sin_theta,
    "covariance of the wrong size",
    lambda: F.loading_sin_theta(G1, np.eye(4)[:, :2], np.eye(3)),
    ValueError,
    "covariance",
)
bad(
    F.loading_sin_theta,
    "NaN in G",
    lambda: F.loading_sin_theta(with_nan(G1), np.eye(4)[:, :2], np.eye(4)),
    ValueError,
    "G",
)
bad(
    F.unexplained_latent_variance,
    "model not a model",
    lambda: F.unexplained_latent_variance(G1, "model"),
    TypeError,
    "model",
)
bad(
    F.unexplained_latent_variance,
    "G of the wrong width",
    lambda: F.unexplained_latent_variance(G1[:, :3], model),
    ValueError,
    "G",
)
bad(
    F.unexplained_latent_variance,
    "modality three",
    lambda: F.unexplained_latent_variance(G1[:, :5], model, modality=3),
    ValueError,
    "modality",
)
bad(
    F.unexplained_latent_variance,
    "n_test without rng",
    lambda: F.unexplained_latent_variance(np.ones((2, 5)), model, n_test=100),
    TypeError,
    "rng",
)
bad(
    F.unexplained_latent_variance,
    "n_test too small",
    lambda: F.unexplained_latent_variance(np.ones((2, 5)), model, n_test=2, rng=0),
    ValueError,
    "n_test",
)

# --- cleaning the pairs -------------------------------------------------------------
bad(F.clean_pairs, "r too large", lambda: F.clean_pairs(X, Y, 4, rng=0), ValueError, "r")
bad(F.clean_pairs, "n < 3 per fold", lambda: F.clean_pairs(X[:5], Y[:5], 1, rng=0), ValueError, "X")
bad(F.clean_pairs, "NaN in X", lambda: F.clean_pairs(with_nan(X), Y, 1, rng=0), ValueError, "X")
bad(F.clean_pairs, "inf in Y", lambda: F.clean_pairs(X, with_inf(Y), 1, rng=0), ValueError, "Y")
bad(F.clean_pairs, "n mismatch", lambda: F.clean_pairs(X, Y[:8], 1, rng=0), ValueError, "Y")
bad(
    F.clean_pairs,
    "unknown encoder",
    lambda: F.clean_pairs(X, Y, 1, encoder="svd", rng=0),
    ValueError,
    "encoder",
)
bad(
    F.clean_pairs_batch,
    "not a stack",
    lambda: F.clean_pairs_batch(X, Y, 1, rngs=[0]),
    ValueError,
    "B, n, d1",
)
bad(
    F.clean_pairs_batch,
    "NaN in X",
    lambda: F.clean_pairs_batch(with_nan(X)[None], Y[None], 1, rngs=[0]),
    ValueError,
    "X",
)
bad(
    F.clean_pairs_batch,
    "one rng for two problems",
    lambda: F.clean_pairs_batch(np.stack([X, X]), np.stack([Y, Y]), 1, rngs=[0]),
    ValueError,
    "rngs",
)
bad(
    F.clean_pairs,
    "rounds zero",
    lambda: F.clean_pairs(X, Y, 1, rounds=0, rng=0),
    ValueError,
    "rounds",
)
bad(
    F.clean_pairs,
    "folds a float",
    lambda: F.clean_pairs(X, Y, 1, folds=2.0, rng=0),
    TypeError,
    "folds",
)
bad(
    F.clean_pairs,
    "n_null zero",
    lambda: F.clean_pairs(X, Y, 1, n_null=0, rng=0),
    ValueError,
    "n_null",
)
bad(
    F.clean_pairs,
    "ridge negative",
    lambda: F.clean_pairs(X, Y, 1, ridge=-1.0, rng=0),
    ValueError,
    "ridge",
)
bad(F.clean_pairs, "rng None", lambda: F.clean_pairs(X, Y, 1, rng=None), TypeError, "rng")
bad(
    F.filter_pairs,
    "target_fdr zero",
    lambda: F.filter_pairs(np.ones(3), target_fdr=0.0),
    ValueError,
    "target_fdr",
)
bad(
    F.filter_pairs,
    "weights above one",
    lambda: F.filter_pairs(np.array([0.5, 1.5]), target_fdr=0.1),
    ValueError,
    "weights",
)
bad(
    F.filter_pairs,
    "weights 2-D",
    lambda: F.filter_pairs(np.ones((2, 2)), target_fdr=0.1),
    ValueError,
    "weights",
)

# --- the paper's baseline -----------------------------------------------------------
bad(
    F.cosine_clip_loss,
    "tau zero",
    lambda: F.cosine_clip_loss(G1, G2, X, Y, tau=0.0),
    ValueError,
    "tau",
)
bad(
    F.cosine_clip_loss,
    "batch sizes differ",
    lambda: F.cosine_clip_loss(G1, G2, X, Y[:5]),
    ValueError,
    "Y",
)
bad(
    F.cosine_clip_loss,
    "G1 wrong width",
    lambda: F.cosine_clip_loss(G1[:, :3], G2, X, Y),
    ValueError,
    "G1",
)
bad(
    F.cosine_clip_loss,
    "NaN in X",
    lambda: F.cosine_clip_loss(G1, G2, with_nan(X), Y),
    ValueError,
    "X",
)
bad(
    F.paper_procedure,
    "lanes of Xu",
    lambda: F.paper_procedure(
        np.ones((3, 5)), np.ones((3, 4)), [np.ones((2, 5))] * 2, [np.ones((2, 4))] * 2, 2, rng=0
    ),
    ValueError,
    "Xu",
)
bad(
    F.paper_procedure,
    "batch_size one",
    lambda: F.paper_procedure(X, Y, Xu, Xu[:, :3], 2, rng=0, batch_size=1),
    ValueError,
    "batch_size",
)
bad(
    F.paper_procedure,
    "epochs negative",
    lambda: F.paper_procedure(X, Y, Xu, Xu[:, :3], 2, rng=0, epochs=-1),
    ValueError,
    "epochs",
)
bad(
    F.paper_procedure,
    "lr zero",
    lambda: F.paper_procedure(X, Y, Xu, Xu[:, :3], 2, rng=0, lr=0.0),
    ValueError,
    "lr",
)
bad(
    F.paper_procedure,
    "weight_decay negative",
    lambda: F.paper_procedure(X, Y, Xu, Xu[:, :3], 2, rng=0, weight_decay=-1.0),
    ValueError,
    "weight_decay",
)
bad(
    F.paper_procedure,
    "tau zero",
    lambda: F.paper_procedure(X, Y, Xu, Xu[:, :3], 2, rng=0, tau=0.0),
    ValueError,
    "tau",
)
bad(
    F.paper_procedure,
    "rng None",
    lambda: F.paper_procedure(X, Y, Xu, Xu[:, :3], 2, rng=None),
    TypeError,
    "rng",
)
bad(
    F.paper_procedure,
    "r too large",
    lambda: F.paper_procedure(X, Y, Xu, Xu[:, :3], 4, rng=0),
    ValueError,
    "r",
)
bad(
    F.paper_procedure,
    "NaN in X",
    lambda: F.paper_procedure(with_nan(X), Y, Xu, Xu[:, :3], 2, rng=0),
    ValueError,
    "X",
)
bad(
    F.paper_procedure,
    "Xu and Yu rows differ",
    lambda: F.paper_procedure(X, Y, Xu, Yu, 2, rng=0),
    ValueError,
    "Yu",
)

# --- runners ------------------------------------------------------------------------
E = ex_loss_to_svd
bad(E.chapter_sample, "n one", lambda: E.chapter_sample(1, rng=0), ValueError, "n")
bad(E.chapter_sample, "rng a string", lambda: E.chapter_sample(10, rng="x"), TypeError, "rng")
bad(
    E.power_phase,
    "tau zero",
    lambda: E.power_phase(X, Y, 2, tau=0.0, rho=0.1, lr=0.1, steps=2, rng=0),
    ValueError,
    "tau",
)
bad(
    E.power_phase,
    "rho negative",
    lambda: E.power_phase(X, Y, 2, tau=1.0, rho=-0.1, lr=0.1, steps=2, rng=0),
    ValueError,
    "rho",
)
bad(
    E.power_phase,
    "lr zero",
    lambda: E.power_phase(X, Y, 2, tau=1.0, rho=0.1, lr=0.0, steps=2, rng=0),
    ValueError,
    "lr",
)
bad(
    E.power_phase,
    "steps negative",
    lambda: E.power_phase(X, Y, 2, tau=1.0, rho=0.1, lr=0.1, steps=-1, rng=0),
    ValueError,
    "steps",
)
bad(
    E.power_phase,
    "rng None",
    lambda: E.power_phase(X, Y, 2, tau=1.0, rho=0.1, lr=0.1, steps=2, rng=None),
    TypeError,
    "rng",
)
bad(
    E.power_phase,
    "r too large",
    lambda: E.power_phase(X, Y, 4, tau=1.0, rho=0.1, lr=0.1, steps=2, rng=0),
    ValueError,
    "r",
)
bad(
    E.power_phase,
    "truth of the wrong dimension",
    lambda: E.power_phase(
        X, Y, 2, tau=1.0, rho=0.1, lr=0.1, steps=2, rng=0, truth=np.eye(3)[:, :2]
    ),
    ValueError,
    "truth",
)
bad(
    E.chapter_sample,
    "scale zero",
    lambda: E.chapter_sample(10, rng=0, scale=0.0),
    ValueError,
    "scale",
)
T = ex_threshold
bad(
    T.selection_thresholds,
    "one pair not in a list",
    lambda: T.selection_thresholds((X, Y), 2, rng=0),
    TypeError,
    "samples",
)
bad(
    T.selection_thresholds,
    "low above high",
    lambda: T.selection_thresholds([(X, Y)], 2, rng=0, low=5.0, high=1.0),
    ValueError,
    "low",
)
bad(
    T.selection_thresholds,
    "high negative",
    lambda: T.selection_thresholds([(X, Y)], 2, rng=0, high=-1.0),
    ValueError,
    "high",
)
bad(
    T.selection_thresholds,
    "iters negative",
    lambda: T.selection_thresholds([(X, Y)], 2, rng=0, iters=-1),
    ValueError,
    "iters",
)
bad(
    T.selection_thresholds,
    "rank too large",
    lambda: T.selection_thresholds([(X, Y)], 9, rng=0),
    ValueError,
    "r",
)
bad(
    T.selection_thresholds,
    "mismatched rows",
    lambda: T.selection_thresholds([(X, Y[:-1])], 2, rng=0),
    ValueError,
    "rows",
)
bad(
    T.selection_thresholds,
    "rng None",
    lambda: T.selection_thresholds([(X, Y)], 2, rng=None),
    TypeError,
    "rng",
)
R = ex_robustness
bad(R.robustness_model, "unknown noise", lambda: R.robustness_model("pink"), ValueError, "noise")
bad(
    R.robustness_model,
    "coherent a string",
    lambda: R.robustness_model("isotropic", "yes"),
    TypeError,
    "coherent",
)
bad(R.robustness_model, "d zero", lambda: R.robustness_model(d=0), ValueError, "d")
bad(R.robustness_model, "r > d", lambda: R.robustness_model(d=4, r=5), ValueError, "r")
bad(
    R.robustness_sweep,
    "model not a model",
    lambda: R.robustness_sweep("m", ns=[10], epss=[0.0], rng=0),
    TypeError,
    "model",
)
bad(
    R.robustness_sweep,
    "epss above 1",
    lambda: R.robustness_sweep(square, ns=[100], epss=[0.2, 1.2], rng=0),
    ValueError,
    "epss",
)
bad(
    R.robustness_sweep,
    "ns decreasing",
    lambda: R.robustness_sweep(square, ns=[400, 100], epss=[0.2], rng=0),
    ValueError,
    "ns",
)
bad(
    R.robustness_sweep,
    "ns one",
    lambda: R.robustness_sweep(square, ns=[1], epss=[0.2], rng=0),
    ValueError,
    "ns",
)
bad(
    R.robustness_sweep,
    "seeds zero",
    lambda: R.robustness_sweep(square, ns=[10], epss=[0.2], seeds=0, rng=0),
    ValueError,
    "seeds",
)
bad(
    R.robustness_sweep,
    "augmentations zero",
    lambda: R.robustness_sweep(square, ns=[10], epss=[0.2], rng=0, augmentations=0),
    ValueError,
    "augmentations",
)
bad(
    R.robustness_sweep,
    "rng None",
    lambda: R.robustness_sweep(square, ns=[10], epss=[0.2], rng=None),
    TypeError,
    "rng",
)
bad(
    R.robustness_sweep,
    "chunk zero",
    lambda: R.robustness_sweep(square, ns=[10], epss=[0.2], rng=0, chunk=0),
    ValueError,
    "chunk",
)
bad(
    R.crossover_eps,
    "shapes differ",
    lambda: R.crossover_eps([0.0, 1.0], [0.1, 0.2, 0.3], 1.0),
    ValueError,
    "mmcl_error",
)
bad(
    R.first_order_constant,
    "model not a model",
    lambda: R.first_order_constant("model"),
    TypeError,
    "model",
)
RF = ex_robustness_fits
bad(
    RF.clip_vs_linear,
    "model not a model",
    lambda: RF.clip_vs_linear(None, n=10, epss=[0.0], rng=0),
    TypeError,
    "model",
)
bad(
    RF.clip_vs_linear,
    "n one",
    lambda: RF.clip_vs_linear(square, n=1, epss=[0.0], rng=0),
    ValueError,
    "n",
)
bad(
    RF.clip_vs_linear,
    "epss negative",
    lambda: RF.clip_vs_linear(square, n=10, epss=[-0.1], rng=0),
    ValueError,
    "epss",
)
bad(
    RF.clip_vs_linear,
    "taus zero",
    lambda: RF.clip_vs_linear(square, n=10, epss=[0.0], taus=[0.0], rng=0),
    ValueError,
    "taus",
)
bad(
    RF.clip_vs_linear,
    "rho negative",
    lambda: RF.clip_vs_linear(square, n=10, epss=[0.0], rho=-1.0, rng=0),
    ValueError,
    "rho",
)
bad(
    RF.clip_vs_linear,
    "lr zero",
    lambda: RF.clip_vs_linear(square, n=10, epss=[0.0], lr=0.0, seeds=1, rng=0),
    ValueError,
    "lr",
)
bad(
    RF.clip_vs_linear,
    "record_every zero",
    lambda: RF.clip_vs_linear(square, n=10, epss=[0.0], record_every=0, rng=0),
    ValueError,
    "record_every",
)
bad(
    RF.clip_vs_linear,
    "seeds zero",
    lambda: RF.clip_vs_linear(square, n=10, epss=[0.0], seeds=0, rng=0),
    ValueError,
    "seeds",
)
bad(
    RF.clip_vs_linear,
    "rng None",
    lambda: RF.clip_vs_linear(square, n=10, epss=[0.0], rng=None),
    TypeError,
    "rng",
)
bad(
    RF.clip_vs_linear,
    "polish not a bool",
    lambda: RF.clip_vs_linear(square, n=10, epss=[0.0], rng=0, polish="yes"),
    TypeError,
    "polish",
)
S = ex_sampling
bad(
    S.sample_batch,
    "model not a model",
    lambda: S.sample_batch("m", 2, 10, rng=0),
    TypeError,
    "model",
)
bad(S.sample_batch, "seeds zero", lambda: S.sample_batch(square, 0, 10, rng=0), ValueError, "seeds")
bad(S.sample_batch, "n zero", lambda: S.sample_batch(square, 2, 0, rng=0), ValueError, "n")
bad(S.sample_batch, "rng None", lambda: S.sample_batch(square, 2, 10, rng=None), TypeError, "rng")
U = ex_unpaired
SMALL = dict(n=10, m=8, d=6, r=2)
bad(
    U.unpaired_problem,
    "snr zero",
    lambda: U.unpaired_problem(snr=0.0, fraction=1.0, rng=0, **SMALL),
    ValueError,
    "snr",
)
bad(
    U.unpaired_problem,
    "fraction above 1",
    lambda: U.unpaired_problem(snr=4.0, fraction=1.5, rng=0, **SMALL),
    ValueError,
    "fraction",
)
bad(
    U.unpaired_problem,
    "m zero",
    lambda: U.unpaired_problem(snr=4.0, fraction=1.0, rng=0, **{**SMALL, "m": 0}),
    ValueError,
    "m",
)
bad(
    U.unpaired_problem,
    "n one",
    lambda: U.unpaired_problem(snr=4.0, fraction=1.0, rng=0, **{**SMALL, "n": 1}),
    ValueError,
    "n",
)
bad(
    U.unpaired_problem,
    "d zero",
    lambda: U.unpaired_problem(snr=4.0, fraction=1.0, rng=0, **{**SMALL, "d": 0}),
    ValueError,
    "d",
)
bad(
    U.unpaired_problem,
    "r > d",
    lambda: U.unpaired_problem(snr=4.0, fraction=1.0, rng=0, **{**SMALL, "r": 7}),
    ValueError,
    "r",
)
bad(
    U.unpaired_problem,
    "rng None",
    lambda: U.unpaired_problem(snr=4.0, fraction=1.0, rng=None, **SMALL),
    TypeError,
    "rng",
)
bad(
    U.unpaired_problem,
    "noise unknown",
    lambda: U.unpaired_problem(snr=4.0, fraction=1.0, rng=0, noise="pink", **SMALL),
    ValueError,
    "noise",
)
bad(
    U.fdr_calibration,
    "target one",
    lambda: U.fdr_calibration(targets=[1.0], seeds=1, rng=0, **SMALL),
    ValueError,
    "target_fdr",
)
bad(
    U.fdr_calibration,
    "seeds zero",
    lambda: U.fdr_calibration(targets=[0.1], seeds=0, rng=0, **SMALL),
    ValueError,
    "seeds",
)
bad(
    U.fdr_calibration,
    "snr zero",
    lambda: U.fdr_calibration(targets=[0.1], seeds=1, rng=0, snr=0.0, **SMALL),
    ValueError,
    "snr",
)
bad(
    U.fdr_calibration,
    "rng None",
    lambda: U.fdr_calibration(targets=[0.1], seeds=1, rng=None, **SMALL),
    TypeError,
    "rng",
)
bad(
    U.matching_ceiling,
    "ms zero",
    lambda: U.matching_ceiling(ms=[0], snrs=[8.0], r=4, rng=0),
    ValueError,
    "ms",
)
bad(
    U.matching_ceiling,
    "snrs negative",
    lambda: U.matching_ceiling(ms=[10], snrs=[-1.0], r=4, rng=0),
    ValueError,
    "snrs",
)
bad(
    U.matching_ceiling,
    "r one",
    lambda: U.matching_ceiling(ms=[10], snrs=[8.0], r=1, rng=0),
    ValueError,
    "r",
)
bad(
    U.matching_ceiling,
    "rng None",
    lambda: U.matching_ceiling(ms=[10], snrs=[8.0], r=4, rng=None),
    TypeError,
    "rng",
)
RM = ex_regime_map
MAPSMALL = dict(n=10, d=6, r=2)
bad(
    RM.regime_map,
    "ms zero",
    lambda: RM.regime_map(snrs=[8.0], ms=[0], seeds=1, rng=0, **MAPSMALL),
    ValueError,
    "ms",
)
bad(
    RM.regime_map,
    "snrs zero",
    lambda: RM.regime_map(snrs=[0.0], ms=[10], seeds=1, rng=0, **MAPSMALL),
    ValueError,
    "snrs",
)
bad(
    RM.regime_map,
    "noises unknown",
    lambda: RM.regime_map(snrs=[8.0], ms=[10], seeds=1, rng=0, noises=("pink",), **MAPSMALL),
    ValueError,
    "noises",
)
bad(
    RM.regime_map,
    "seeds zero",
    lambda: RM.regime_map(snrs=[8.0], ms=[10], seeds=0, rng=0, **MAPSMALL),
    ValueError,
    "seeds",
)
bad(
    RM.regime_map,
    "target_fdr zero",
    lambda: RM.regime_map(snrs=[8.0], ms=[10], seeds=1, rng=0, target_fdr=0.0, **MAPSMALL),
    ValueError,
    "target_fdr",
)
bad(
    RM.regime_map,
    "rng None",
    lambda: RM.regime_map(snrs=[8.0], ms=[10], seeds=1, rng=None, **MAPSMALL),
    TypeError,
    "rng",
)
bad(
    RM.fit_routes,
    "problem not a problem",
    lambda: RM.fit_routes("problem", 2),
    TypeError,
    "problem",
)
bad(
    RM.fit_routes,
    "r too large",
    lambda: RM.fit_routes(U.unpaired_problem(snr=4.0, fraction=1.0, rng=0, **SMALL), 7),
    ValueError,
    "r",
)
bad(
    RM.explorer_view,
    "m zero",
    lambda: RM.explorer_view(
        noise="isotropic", snr=4.0, m=0, target_fdr=0.1, rng=0, n=10, d=6, r=2
    ),  # fmt: skip
    ValueError,
    "m",
)
bad(
    RM.explorer_view,
    "target_fdr zero",
    lambda: RM.explorer_view(
        noise="isotropic", snr=4.0, m=5, target_fdr=0.0, rng=0, n=10, d=6, r=2
    ),  # fmt: skip
    ValueError,
    "target_fdr",
)
bad(
    RM.explorer_view,
    "noise unknown",
    lambda: RM.explorer_view(noise="pink", snr=4.0, m=5, target_fdr=0.1, rng=0, n=10, d=6, r=2),
    ValueError,
    "noise",
)
bad(
    RM.explorer_view,
    "rng None",
    lambda: RM.explorer_view(
        noise="isotropic", snr=4.0, m=5, target_fdr=0.1, rng=None, n=10, d=6, r=2
    ),  # fmt: skip
    TypeError,
    "rng",
)
P = ex_paper
TINY = dict(n=20, n_test=20, d1=6, d2=5, r=2, batch_size=10, epochs=1)
bad(
    P.paper_reproduction,
    "Ns negative",
    lambda: P.paper_reproduction(Ns=[-10], seeds=1, rng=0, **TINY),
    ValueError,
    "Ns",
)
bad(
    P.paper_reproduction,
    "seeds zero",
    lambda: P.paper_reproduction(Ns=[10], seeds=0, rng=0, **TINY),
    ValueError,
    "seeds",
)
bad(
    P.paper_reproduction,
    "rng None",
    lambda: P.paper_reproduction(Ns=[10], seeds=1, rng=None, **TINY),
    TypeError,
    "rng",
)
bad(
    P.paper_reproduction,
    "target_fdr one",
    lambda: P.paper_reproduction(Ns=[10], seeds=1, rng=0, target_fdr=1.0, **TINY),
    ValueError,
    "target_fdr",
)
bad(
    P.paper_reproduction,
    "Ns not a multiple of batch_size",
    lambda: P.paper_reproduction(Ns=[15], seeds=1, rng=0, **TINY),
    ValueError,
    "Ns",
)


# --- the chapter loss_zoo ------------------------------------------------------------
bad(F.infonce_loss, "tau zero", lambda: F.infonce_loss(tau=0.0), ValueError, "tau")
bad(F.infonce_loss, "tau negative", lambda: F.infonce_loss(tau=-1.0), ValueError, "tau")
bad(F.infonce_loss, "rho negative", lambda: F.infonce_loss(rho=-0.1), ValueError, "rho")
bad(F.InfoNCELoss, "tau a string", lambda: F.InfoNCELoss(tau="1"), TypeError, "tau")
bad(F.siglip_loss, "t zero", lambda: F.siglip_loss(t=0.0), ValueError, "t")
bad(F.siglip_loss, "t negative", lambda: F.siglip_loss(t=-2.0), ValueError, "t")
bad(F.siglip_loss, "b infinite", lambda: F.siglip_loss(b=-np.inf), ValueError, "b")
bad(F.siglip_loss, "b NaN", lambda: F.siglip_loss(b=np.nan), ValueError, "b")
bad(F.siglip_loss, "rho negative", lambda: F.siglip_loss(rho=-1.0), ValueError, "rho")
bad(F.SigLIPLoss, "b a string", lambda: F.SigLIPLoss(b="-10"), TypeError, "b")
bad(F.spectral_loss, "rho negative", lambda: F.spectral_loss(rho=-1.0), ValueError, "rho")
bad(F.SpectralLoss, "rho infinite", lambda: F.SpectralLoss(rho=np.inf), ValueError, "rho")
bad(F.dcl_loss, "tau zero", lambda: F.dcl_loss(tau=0.0), ValueError, "tau")
bad(F.DCLLoss, "rho negative", lambda: F.DCLLoss(rho=-1.0), ValueError, "rho")
bad(F.vse_loss, "margin negative", lambda: F.vse_loss(margin=-0.1), ValueError, "margin")
bad(F.VSELoss, "margin None", lambda: F.VSELoss(margin=None), TypeError, "margin")
bad(
    F.LogitLoss,
    "spectral cross_covariance: G1 wrong width",
    lambda: F.spectral_loss().cross_covariance(G1[:, :3], G2, X, Y),
    ValueError,
    "G1",
)
Z = ex_loss_zoo
bad(
    Z.latent_unexplained,
    "model not a model",
    lambda: Z.latent_unexplained(X, G1),
    TypeError,
    "model",
)
bad(
    Z.latent_unexplained,
    "G1 wrong width",
    lambda: Z.latent_unexplained(model, np.ones((2, 3))),
    ValueError,
    "G1",
)
bad(
    Z.spectral_vs_cca,
    "model not a model",
    lambda: Z.spectral_vs_cca(None, ns=[50], rng=0),
    TypeError,
    "model",
)
bad(Z.spectral_vs_cca, "ns one", lambda: Z.spectral_vs_cca(model, ns=[1], rng=0), ValueError, "ns")
bad(
    Z.spectral_vs_cca,
    "seeds zero",
    lambda: Z.spectral_vs_cca(model, ns=[50], seeds=0, rng=0),
    ValueError,
    "seeds",
)
bad(
    Z.spectral_path,
    "rhos negative",
    lambda: Z.spectral_path(model, 50, rhos=[-1.0], rng=0),
    ValueError,
    "rhos",
)
bad(Z.spectral_path, "n one", lambda: Z.spectral_path(model, 1, rhos=[0.0], rng=0), ValueError, "n")
ZF = ex_loss_zoo_fits
bad(
    ZF.fixed_points,
    "loss without rho",
    lambda: ZF.fixed_points(X, Y, 2, [mmcl.infonce_loss()], rng=0),
    ValueError,
    "losses",
)
bad(
    ZF.fixed_points,
    "losses not losses",
    lambda: ZF.fixed_points(X, Y, 2, ["clip"], rng=0),
    ValueError,
    "losses",
)
bad(
    ZF.fixed_points,
    "r too large",
    lambda: ZF.fixed_points(X, Y, 4, [mmcl.infonce_loss(rho=1.0)], rng=0),
    ValueError,
    "r",
)
bad(
    ZF.fixed_points,
    "lr zero",
    lambda: ZF.fixed_points(X, Y, 2, [mmcl.infonce_loss(rho=1.0)], rng=0, lr=0.0),
    ValueError,
    "lr",
)
bad(ZF.comparison_losses, "n two", lambda: ZF.comparison_losses(2), ValueError, "n")
bad(ZF.comparison_losses, "rho zero", lambda: ZF.comparison_losses(50, rho=0.0), ValueError, "rho")
bad(
    ZF.side_by_side,
    "model not a model",
    lambda: ZF.side_by_side("m", 50, epss=[0.0], rng=0),
    TypeError,
    "model",
)
bad(
    ZF.side_by_side,
    "n below d",
    lambda: ZF.side_by_side(model, 4, epss=[0.0], rng=0),
    ValueError,
    "n",
)
bad(
    ZF.side_by_side,
    "eps above one",
    lambda: ZF.side_by_side(model, 30, epss=[1.5], rng=0),
    ValueError,
    "epss",
)
bad(
    ZF.side_by_side,
    "seeds zero",
    lambda: ZF.side_by_side(model, 30, epss=[0.0], seeds=0, rng=0),
    ValueError,
    "seeds",
)


MV, MC = ex_multiview, ex_multiview_cleaning
VIEWS = {"a": rng.standard_normal((30, 3)), "b": rng.standard_normal((30, 2))}
LABELS = np.arange(30) % 3
TINY_VIEWS = dict(pairs=[("a", "b")], r=1, splits=1)
bad(MC.auc, "shapes differ", lambda: MC.auc([0.5], [True, False]), ValueError, "weights")
bad(
    MC.cleaning_sweep,
    "eps one",
    lambda: MC.cleaning_sweep(epss=[1.0], signals=[1.0], seeds=1, rng=0),
    ValueError,
    "epss",
)
bad(
    MC.cleaning_sweep,
    "signal zero",
    lambda: MC.cleaning_sweep(epss=[0.5], signals=[0.0], seeds=1, rng=0),
    ValueError,
    "signals",
)
bad(
    MC.cleaning_sweep,
    "seeds zero",
    lambda: MC.cleaning_sweep(epss=[0.5], signals=[1.0], seeds=0, rng=0),
    ValueError,
    "seeds",
)
bad(
    MC.cleaning_sweep,
    "target one",
    lambda: MC.cleaning_sweep(epss=[0.5], signals=[1.0], seeds=1, rng=0, targets=[1.0]),
    ValueError,
    "target_fdr",
)
bad(
    MC.real_cleaning,
    "views not a dict",
    lambda: MC.real_cleaning([1, 2], LABELS, epss=[0.5], rng=0, **TINY_VIEWS),
    TypeError,
    "views",
)
bad(
    MC.real_cleaning,
    "unknown view",
    lambda: MC.real_cleaning(VIEWS, LABELS, epss=[0.5], rng=0, pairs=[("a", "c")]),
    ValueError,
    "pairs",
)
bad(
    MC.real_cleaning,
    "unknown encoder",
    lambda: MC.real_cleaning(
        VIEWS, LABELS, epss=[0.5], encoders=["svd"], rng=0, n_train=20, **TINY_VIEWS
    ),
    ValueError,
    "encoders",
)
bad(
    MC.real_cleaning,
    "eps negative",
    lambda: MC.real_cleaning(VIEWS, LABELS, epss=[-0.1], rng=0, n_train=20, **TINY_VIEWS),
    ValueError,
    "epss",
)
bad(
    MC.real_cleaning,
    "n_train too large",
    lambda: MC.real_cleaning(VIEWS, LABELS, epss=[0.5], rng=0, n_train=30, **TINY_VIEWS),
    ValueError,
    "n_train",
)
bad(
    MV.view_benchmark,
    "labels of another length",
    lambda: MV.view_benchmark(VIEWS, LABELS[:20], rng=0, **TINY_VIEWS),
    ValueError,
    "views",
)
bad(
    MV.view_benchmark,
    "ridge negative",
    lambda: MV.view_benchmark(
        VIEWS, LABELS, ridge=-1.0, rng=0, n_train=20, clip_batch=10, **TINY_VIEWS
    ),
    ValueError,
    "ridge",
)
bad(
    MV.view_benchmark,
    "rng None",
    lambda: MV.view_benchmark(VIEWS, LABELS, rng=None, n_train=20, clip_batch=10, **TINY_VIEWS),
    TypeError,
    "rng",
)
bad(
    MV.real_unpaired,
    "n_unpaired too large",
    lambda: MV.real_unpaired(
        VIEWS, LABELS, n_pairs=5, n_unpaired=30, n_test=5, rng=0, **TINY_VIEWS
    ),
    ValueError,
    "n_unpaired",
)
bad(
    MV.real_unpaired,
    "pair of one view",
    lambda: MV.real_unpaired(VIEWS, LABELS, pairs=[("a", "a")], rng=0),
    ValueError,
    "pairs",
)


@pytest.mark.parametrize("target, call, error, pattern", CASES)
def test_bad_input_is_refused_with_a_message_naming_the_argument(target, call, error, pattern):
    with pytest.raises(error) as caught:
        call()
    assert type(caught.value) is error
    assert re.search(pattern, str(caught.value)), (
        f"message does not name the argument: {caught.value}"
    )


# Public names with nothing to validate: the results (dataclasses).
NOTHING_TO_CHECK = {
    "memory_budget",
    "MemoryBudgetError",
    "SVDFit",
    "GDFit",
    "SelectionGrid",
    "Noise",
    "PairedSample",
    "UnpairedSample",
    "UnpairedFit",
    "DecoyMatch",
    "BilinearScore",
    "SpikeCount",
    "SpikedWhitener",
    "CCAStep",
    "PaperFit",
    "CCAFit",
    "load_multiple_features",
    "CleanFit",
}
RUNNER_MODULES = (
    ex_loss_to_svd,
    ex_threshold,
    ex_loss_zoo,
    ex_loss_zoo_fits,
    ex_robustness,
    ex_robustness_fits,
    ex_sampling,
    ex_unpaired,
    ex_regime_map,
    ex_paper,
    ex_multiview,
    ex_multiview_cleaning,
)


def test_table_covers_every_public_function_and_runner():
    covered = {c.values[0] for c in CASES}
    public = {getattr(mmcl, name) for name in mmcl.__all__ if name not in NOTHING_TO_CHECK}
    runners = {
        getattr(m, name)
        for m in RUNNER_MODULES
        for name in m.__all__
        if inspect.isfunction(getattr(m, name))
    }
    assert ex.robustness_sweep in runners and ex_unpaired.fdr_calibration in runners
    missing = sorted(f.__name__ for f in (public | runners) - covered)
    assert not missing, f"no bad-input case for: {missing}"


def test_finiteness_is_tested_without_a_full_size_temporary():
    from mmcl._checks import all_finite

    A = np.ones((3000, 700))  # 2.1 million entries: tested in blocks when the sum is not finite
    assert all_finite(A)
    for bad_value in (np.nan, np.inf, -np.inf):
        A[2999, 699] = bad_value
        assert not all_finite(A)
    A[2999, 699] = 1e308
    A[0, 0] = 1e308  # the sum overflows, the entries are finite
    assert all_finite(A)
