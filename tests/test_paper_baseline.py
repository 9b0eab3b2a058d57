"""mmcl.paper_baseline: the paper's cosine-CLIP loss, AdamW, and the procedure over lanes."""

import numpy as np
import pytest

import mmcl
from mmcl.paper_baseline import AdamW


def _unpaired(seed=0, n=60, m=80):
    model = mmcl.make_model(12, 10, 3, rng=seed, signal=4.0, noise_sd=0.3)
    return model.sample(n, rng=seed + 1), mmcl.sample_unpaired(model, m, rng=seed + 2)


@pytest.mark.parametrize("top", [False, True])
def test_paper_gradient_matches_finite_differences(top):
    rng = np.random.default_rng(11)
    G1, G2 = rng.normal(size=(3, 6)), rng.normal(size=(3, 5))
    X, Y = rng.normal(size=(8, 6)), rng.normal(size=(8, 5))
    value, (d1, d2) = mmcl.cosine_clip_loss(G1, G2, X, Y, tau=0.7, top=top)
    h = 1e-6
    for G, dG, k in ((G1, d1, 0), (G2, d2, 1)):
        num = np.zeros_like(G)
        for idx in np.ndindex(G.shape):
            E = np.zeros_like(G)
            E[idx] = h
            args = [(G1 + E, G2), (G1 - E, G2)] if k == 0 else [(G1, G2 + E), (G1, G2 - E)]
            plus = mmcl.cosine_clip_loss(*args[0], X, Y, tau=0.7, top=top)[0]
            minus = mmcl.cosine_clip_loss(*args[1], X, Y, tau=0.7, top=top)[0]
            num[idx] = (plus - minus) / (2 * h)
        assert np.allclose(dG, num, rtol=1e-5, atol=1e-8)


def test_paper_loss_is_clip_on_cosines():
    rng = np.random.default_rng(2)
    G1, G2 = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
    X, Y = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    A = X @ G1.T
    C = Y @ G2.T
    K = (A / np.linalg.norm(A, axis=1, keepdims=True)) @ (
        C / np.linalg.norm(C, axis=1, keepdims=True)
    ).T
    lse = lambda M, ax: np.log(np.exp(M).sum(axis=ax))  # noqa: E731
    ref = (lse(K, 1).sum() + lse(K, 0).sum() - 2 * np.trace(K)) / 12
    assert np.isclose(mmcl.cosine_clip_loss(G1, G2, X, Y)[0], ref)
    top = np.sort(K.ravel())[-6:].sum()
    ref_top = (lse(K, 1).sum() + lse(K, 0).sum() - 2 * top) / 12
    assert np.isclose(mmcl.cosine_clip_loss(G1, G2, X, Y, top=True)[0], ref_top)


def test_paper_loss_ignores_the_norm_of_each_embedding():
    rng = np.random.default_rng(3)
    G1, G2 = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
    X, Y = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    c = rng.uniform(0.1, 10, (6, 1))
    assert mmcl.cosine_clip_loss(G1, G2, c * X, Y)[0] == pytest.approx(
        mmcl.cosine_clip_loss(G1, G2, X, Y)[0]
    )
    assert mmcl.cosine_clip_loss(5 * G1, G2, X, Y)[0] == pytest.approx(
        mmcl.cosine_clip_loss(G1, G2, X, Y)[0]
    )


def _pytorch_adamw(p, grads, lr, wd, betas=(0.9, 0.999), eps=1e-8):
    """torch.optim.AdamW's update (decoupled weight decay, bias-corrected moments), step by step."""
    m, v = np.zeros_like(p), np.zeros_like(p)
    p = p.copy()
    for t, g in enumerate(grads, start=1):
        p = p * (1 - lr * wd)
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


@pytest.mark.parametrize("wd", [0.0, 0.01, 0.5])
def test_adamw_steps_follow_pytorch(wd):
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((4, 3, 2))
    grads = [rng.standard_normal((4, 3, 2)) for _ in range(3)]
    p = p0.copy()
    opt = AdamW([p], 4, lr=0.05, wd=wd)
    for g in grads:
        opt.step([g[:2]], 2)  # lanes 0 and 1 only
    np.testing.assert_allclose(
        p[:2], _pytorch_adamw(p0[:2], [g[:2] for g in grads], 0.05, wd), rtol=1e-12
    )
    np.testing.assert_array_equal(p[2:], p0[2:])  # the other lanes are untouched
    assert opt.t.tolist() == [3, 3, 0, 0]


def test_adamw_weight_decay_shrinks_parameters_without_gradient():
    p = np.full((1, 2, 2), 3.0)
    opt = AdamW([p], 1, lr=0.1, wd=0.2)
    for _ in range(5):
        opt.step([np.zeros((1, 2, 2))], 1)
    np.testing.assert_allclose(p, 3.0 * (1 - 0.1 * 0.2) ** 5, rtol=1e-12)


def test_paper_lanes_with_different_unpaired_sizes():
    pairs, un = _unpaired(m=100)
    X = np.stack([pairs.X[:50]] * 3)
    Y = np.stack([pairs.Y[:50]] * 3)
    fit = mmcl.paper_procedure(
        X,
        Y,
        [un.Xu[:50], un.Xu, un.Xu[:0]],
        [un.Yu[:50], un.Yu, un.Yu[:0]],
        3,
        rng=0,
        epochs=2,
        unpaired_epochs=2,
    )
    assert fit.G1.shape == (3, 3, 12) and np.isfinite(fit.G1).all()
    # a lane without unpaired data ends where its pairs phase ended
    assert np.array_equal(fit.G1[2], fit.G1_pairs[2])
    assert not np.array_equal(fit.G1[1], fit.G1_pairs[1])


def test_paper_lanes_are_independent_runs():
    """A lane's result does not depend on the other lanes run with it (same start in both runs)."""
    pairs, un = _unpaired(m=100)
    X, Y = np.stack([pairs.X[:50]] * 2), np.stack([pairs.Y[:50]] * 2)
    both = mmcl.paper_procedure(
        X, Y, [un.Xu[:50], un.Xu], [un.Yu[:50], un.Yu], 3, rng=0, epochs=2, unpaired_epochs=2
    )
    # Both lanes start from different random encoders; replace lane 0's data by lane 1's and the
    # result of lane 1 stays the same.
    other = mmcl.paper_procedure(
        X, Y, [un.Xu, un.Xu], [un.Yu, un.Yu], 3, rng=0, epochs=2, unpaired_epochs=2
    )
    np.testing.assert_allclose(other.G1[1], both.G1[1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(other.G1_pairs, both.G1_pairs, rtol=0, atol=0)


def test_paper_procedure_is_deterministic_for_a_seed():
    pairs, un = _unpaired(seed=7)
    args = (pairs.X[:50], pairs.Y[:50], un.Xu[:50], un.Yu[:50], 3)
    pa = mmcl.paper_procedure(*args, rng=1, epochs=3, unpaired_epochs=2)
    pb = mmcl.paper_procedure(*args, rng=1, epochs=3, unpaired_epochs=2)
    assert np.array_equal(pa.G1, pb.G1)


def test_paper_pairs_phase_lowers_the_loss():
    pairs, _ = _unpaired(n=200)
    fit = mmcl.paper_procedure(
        pairs.X, pairs.Y, pairs.X[:0], pairs.Y[:0], 3, rng=0, epochs=0, unpaired_epochs=0
    )
    trained = mmcl.paper_procedure(
        pairs.X, pairs.Y, pairs.X[:0], pairs.Y[:0], 3, rng=0, epochs=30, unpaired_epochs=0, lr=1e-2
    )

    def loss(G1, G2):
        return np.mean(
            [
                mmcl.cosine_clip_loss(G1, G2, pairs.X[i : i + 50], pairs.Y[i : i + 50])[0]
                for i in range(0, 200, 50)
            ]
        )

    assert loss(trained.G1[0], trained.G2[0]) < loss(fit.G1[0], fit.G2[0]) - 0.1
    # With no epochs the encoders are PyTorch's nn.Linear start: uniform on (-1/sqrt(d), 1/sqrt(d)).
    assert np.abs(fit.G1).max() <= 1 / np.sqrt(12) and np.abs(fit.G2).max() <= 1 / np.sqrt(10)


@pytest.mark.parametrize("top", [False, True])
@pytest.mark.parametrize("dims", [(6, 5), (4, 7)])
def test_stacked_gradient_matches_the_two_modality_gradient(top, dims):
    from mmcl.paper_baseline import _loss_grad, _stacked_grad

    rng = np.random.default_rng(5)
    d1, d2 = dims
    d = max(dims)
    W1t, W2t = rng.normal(size=(3, d1, 2)), rng.normal(size=(3, d2, 2))
    X, Y = rng.normal(size=(3, 8, d1)), rng.normal(size=(3, 8, d2))
    W, Z = np.zeros((3, 2, d, 2)), np.zeros((3, 2, 8, d))
    W[:, 0, :d1], W[:, 1, :d2], Z[:, 0, :, :d1], Z[:, 1, :, :d2] = W1t, W2t, X, Y
    g1, g2 = _loss_grad(W1t, W2t, X, Y, 0.7, top)[1]
    g = _stacked_grad(W, Z, 0.7, top)
    assert np.allclose(g[:, 0, :d1], g1, rtol=1e-12, atol=1e-14)
    assert np.allclose(g[:, 1, :d2], g2, rtol=1e-12, atol=1e-14)
    assert not g[:, 0, d1:].any() and not g[:, 1, d2:].any()  # padding stays at zero
