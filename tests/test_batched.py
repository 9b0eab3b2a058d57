"""mmcl.batched: gradient descent on a stack of problems agrees with mmcl.fit_gd."""

import numpy as np
import pytest

import mmcl
from mmcl.batched import fit_gd_batch


def _problems(B, n=40, r=2, d1=5, d2=4, seed=0):
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((B, n, d1)), rng.standard_normal((B, n, d2))
    X -= X.mean(axis=1, keepdims=True)
    Y -= Y.mean(axis=1, keepdims=True)
    G1, G2 = 0.1 * rng.standard_normal((B, r, d1)), 0.1 * rng.standard_normal((B, r, d2))
    return X, Y, G1, G2


STACKS = {
    "CLIP": [mmcl.clip_loss(tau=t, rho=p) for t, p in ((0.5, 0.1), (1.0, 1.0), (3.0, 0.0))],
    "InfoNCE": [mmcl.infonce_loss(tau=t, rho=p) for t, p in ((0.5, 0.1), (1.0, 1.0), (2.0, 3.0))],
    "SigLIP": [mmcl.siglip_loss(t=t, b=b, rho=0.5) for t, b in ((1.0, -3.0), (2.0, 0.0), (5, -9))],
    "mixed": [mmcl.linear_loss(0.5), mmcl.clip_loss(1.0, 0.5), mmcl.spectral_loss(0.5)],
}


@pytest.mark.parametrize("kind", sorted(STACKS))
def test_stack_follows_fit_gd_problem_by_problem(kind):
    losses = STACKS[kind]
    X, Y, G1, G2 = _problems(len(losses))
    lr = np.array([0.05, 0.1, 0.02])
    fit = fit_gd_batch(X, Y, losses, steps=30, lr=lr, init=(G1, G2))
    assert fit.G1.shape == G1.shape and fit.history.shape == (3, 31) and not fit.diverged.any()
    for b, loss in enumerate(losses):
        one = mmcl.fit_gd(X[b], Y[b], 2, loss, steps=30, lr=lr[b], rng=0, init=(G1[b], G2[b]))
        np.testing.assert_allclose(fit.G1[b], one.G1, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(fit.G2[b], one.G2, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(fit.history[b], one.history, rtol=1e-12, atol=1e-15)


def test_shared_data_one_loss_and_chunks():
    # 30 problems of n = 100 on shared data: several chunks of the stack
    X, Y, G1, G2 = _problems(30, n=100)
    loss = mmcl.infonce_loss(tau=0.7, rho=0.2)
    fit = fit_gd_batch(X[0], Y[0], loss, steps=10, lr=0.1, init=(G1, G2))
    for b in (0, 17, 29):
        one = mmcl.fit_gd(X[0], Y[0], 2, loss, steps=10, lr=0.1, rng=0, init=(G1[b], G2[b]))
        np.testing.assert_allclose(fit.G1[b], one.G1, rtol=1e-12, atol=1e-15)


def test_tiny_temperature_takes_the_separate_route():
    # huge logits at a tiny temperature: the stacked CLIP kernel defers to the loss itself
    X, Y, G1, G2 = _problems(2)
    losses = [mmcl.clip_loss(tau=1e-3, rho=0.1), mmcl.clip_loss(tau=1.0, rho=0.1)]
    fit = fit_gd_batch(X, Y, losses, steps=3, lr=1e-4, init=(30 * G1, 30 * G2))
    for b, loss in enumerate(losses):
        one = mmcl.fit_gd(
            X[b], Y[b], 2, loss, steps=3, lr=1e-4, rng=0, init=(30 * G1[b], 30 * G2[b])
        )
        np.testing.assert_allclose(fit.G1[b], one.G1, rtol=1e-12, atol=1e-15)


def test_a_diverging_problem_is_flagged_and_frozen():
    X, Y, G1, G2 = _problems(2)
    loss = mmcl.linear_loss(rho=0.1)
    with pytest.raises(FloatingPointError):
        mmcl.fit_gd(X[0], Y[0], 2, loss, steps=200, lr=1e3, rng=0, init=(G1[0], G2[0]))
    fit = fit_gd_batch(X, Y, loss, steps=200, lr=np.array([1e3, 0.01]), init=(G1, G2))
    assert fit.diverged.tolist() == [True, False]
    assert np.isfinite(fit.G1[0]).all() and np.isnan(fit.history[0, -1])
    one = mmcl.fit_gd(X[1], Y[1], 2, loss, steps=200, lr=0.01, rng=0, init=(G1[1], G2[1]))
    np.testing.assert_allclose(fit.G1[1], one.G1, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "change, error, name",
    [
        (dict(init=None), TypeError, "init"),
        (dict(init=(np.zeros((2, 2, 5)), np.zeros((3, 2, 4)))), ValueError, "init"),
        (dict(losses=[mmcl.clip_loss()]), TypeError, "losses"),
        (dict(losses="CLIP"), TypeError, "losses"),
        (dict(X=np.zeros((3, 40, 5))), ValueError, "X"),
        (dict(Y=np.full((40, 4), np.nan)), ValueError, "Y"),
        (dict(Y=np.zeros((2, 39, 4))), ValueError, "rows"),
        (dict(steps=-1), ValueError, "steps"),
        (dict(lr=0.0), ValueError, "lr"),
        (dict(init=(np.zeros((2, 2, 6)), np.zeros((2, 2, 4)))), ValueError, "G1"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(change, error, name):
    X, Y, G1, G2 = _problems(2)
    kwargs = dict(X=X, Y=Y, losses=mmcl.clip_loss(), steps=2, lr=0.1, init=(G1, G2), **{})
    kwargs.update(change)
    with pytest.raises(error, match=name):
        fit_gd_batch(kwargs.pop("X"), kwargs.pop("Y"), kwargs.pop("losses"), **kwargs)


@pytest.mark.parametrize("kind", sorted(STACKS))
def test_validated_value_and_gradient_is_value_and_gradient_without_checks(kind):
    X, Y, G1, G2 = _problems(3)
    for b, loss in enumerate(STACKS[kind]):
        value, grad = loss.value_and_gradient(G1[b], G2[b], X[b], Y[b])
        fast_value, fast_grad = loss.validated_value_and_gradient(G1[b], G2[b], X[b], Y[b])
        assert fast_value == value
        for fast, checked in zip(fast_grad, grad):
            np.testing.assert_array_equal(fast, checked)
