"""Bad input raises a clear error that names the argument."""

import numpy as np
import pytest

import mmcl

rng = np.random.default_rng(0)
X = rng.standard_normal((10, 4))
Y = rng.standard_normal((10, 3))
G1 = rng.standard_normal((2, 4))
G2 = rng.standard_normal((2, 3))
loss = mmcl.clip_loss()


def with_nan(A):
    A = A.copy()
    A[1, 1] = np.nan
    return A


def with_inf(A):
    A = A.copy()
    A[0, 0] = np.inf
    return A


CASES = [
    # (description, call, error type, text the message must contain)
    ("X is 1-D", lambda: mmcl.fit_svd(X[:, 0], Y, 1), ValueError, "X must be a 2-D array"),
    ("X is a string", lambda: mmcl.fit_svd("data", Y, 1), TypeError, "X must be a 2-D array"),
    ("Y holds complex numbers", lambda: mmcl.fit_svd(X, Y + 1j, 1), TypeError, "Y must hold real numbers"),
    ("n mismatch", lambda: mmcl.fit_svd(X, Y[:8], 1), ValueError, "X and Y must have the same number of rows"),
    ("one sample", lambda: mmcl.fit_svd(X[:1], Y[:1], 1), ValueError, "X must have at least 2 rows"),
    ("r too large", lambda: mmcl.fit_svd(X, Y, 4), ValueError, "r must be at most min"),
    ("r zero", lambda: mmcl.fit_svd(X, Y, 0), ValueError, "r must be a positive integer"),
    ("r not an integer", lambda: mmcl.fit_svd(X, Y, 1.5), TypeError, "r must be a positive integer"),
    ("r a bool", lambda: mmcl.fit_svd(X, Y, True), TypeError, "r must be a positive integer"),
    ("NaN in X (fit_svd)", lambda: mmcl.fit_svd(with_nan(X), Y, 1), ValueError, "X must contain only finite"),
    ("inf in Y (fit_svd)", lambda: mmcl.fit_svd(X, with_inf(Y), 1), ValueError, "Y must contain only finite"),
    ("NaN in X (loss)", lambda: loss.value(G1, G2, with_nan(X), Y), ValueError, "X must contain only finite"),
    ("rho zero in fit_svd", lambda: mmcl.fit_svd(X, Y, 1, rho=0.0), ValueError, "rho must be a finite number > 0"),
    ("rho negative", lambda: mmcl.clip_loss(rho=-1.0), ValueError, "rho must be a finite number >= 0"),
    ("rho a string", lambda: mmcl.linear_loss(rho="1"), TypeError, "rho must be a real number"),
    ("tau zero", lambda: mmcl.clip_loss(tau=0.0), ValueError, "tau must be a finite number > 0"),
    ("tau negative", lambda: mmcl.clip_loss(tau=-0.5), ValueError, "tau must be a finite number > 0"),
    ("tau NaN", lambda: mmcl.clip_loss(tau=float("nan")), ValueError, "tau must not be NaN"),
    ("tau infinite", lambda: mmcl.clip_loss(tau=np.inf), ValueError, "tau must be a finite number > 0"),
    ("G1 wrong width", lambda: loss.value(G1[:, :3], G2, X, Y), ValueError, "G1 must have shape"),
    ("G2 wrong width", lambda: loss.gradient(G1, G2[:, :2], X, Y), ValueError, "G2 must have shape"),
    ("G1, G2 different r", lambda: loss.weights(G1, G2[:1], X, Y), ValueError, "same number of rows r"),
    ("NaN in G2", lambda: loss.value(G1, with_nan(G2), X, Y), ValueError, "G2 must contain only finite"),
    ("beta wrong shape", lambda: mmcl.contrastive_cross_covariance(X, Y, np.eye(9)), ValueError, "beta must have shape"),
    ("beta with inf", lambda: mmcl.contrastive_cross_covariance(X, Y, with_inf(np.eye(10))), ValueError,
     "beta must contain only finite"),
    ("loss not a loss", lambda: mmcl.fit_gd(X, Y, 1, "clip", steps=1, lr=0.1, rng=0), TypeError,
     "loss must be a contrastive loss"),
    ("steps negative", lambda: mmcl.fit_gd(X, Y, 1, loss, steps=-1, lr=0.1, rng=0), ValueError, "steps must be >= 0"),
    ("lr zero", lambda: mmcl.fit_gd(X, Y, 1, loss, steps=1, lr=0.0, rng=0), ValueError, "lr must be a finite"),
    ("rng None", lambda: mmcl.fit_gd(X, Y, 1, loss, steps=1, lr=0.1, rng=None), TypeError,
     "rng must be a numpy.random.Generator"),
    ("init of wrong r", lambda: mmcl.fit_gd(X, Y, 1, loss, steps=1, lr=0.1, rng=0, init=(G1, G2)), ValueError,
     "init encoders must have r = 1"),
    ("weights negative", lambda: mmcl.fit_svd(X, Y, 1, weights=-np.ones(10)), ValueError, "weights must be finite"),
    ("eps above 1", lambda: mmcl.make_model(5, 4, 2, rng=0).sample(10, eps=1.5, rng=0), ValueError,
     "eps must lie in \\[0, 1\\]"),
    ("sample n = 1", lambda: mmcl.make_model(5, 4, 2, rng=0).sample(1, rng=0), ValueError, "n must be >= 2"),
    ("model r > d", lambda: mmcl.make_model(5, 4, 6, rng=0), ValueError, "r must be at most min"),
    ("negative noise", lambda: mmcl.make_model(5, 4, 2, rng=0, noise_sd=-1.0), ValueError, "noise_sd"),
    ("signal non-positive", lambda: mmcl.make_model(5, 4, 2, rng=0, signal=[1.0, 0.0]), ValueError, "signal must be"),
]


@pytest.mark.parametrize("description, call, error, text", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_message_naming_the_argument(description, call, error, text):
    with pytest.raises(error, match=text):
        call()

