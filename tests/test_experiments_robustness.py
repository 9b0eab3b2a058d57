"""mmcl.experiments.robustness: the chapter's model, the sweep and its theory."""

import numpy as np
import pytest

import mmcl
import mmcl.experiments.robustness as robustness
from mmcl.experiments import crossover_eps, first_order_constant, robustness_model, robustness_sweep

# --- the chapter's model ----------------------------------------------------------


@pytest.mark.parametrize("noise", ["isotropic", "heteroskedastic", "structured"])
@pytest.mark.parametrize("coherent", [False, True])
def test_model_shapes_and_orthonormal_bases(noise, coherent):
    model = robustness_model(noise, coherent, d=30, r=4, rng=1)
    assert model.U1.shape == (30, 4) and model.U2.shape == (30, 4)
    for U in (model.U1, model.U2):
        np.testing.assert_allclose(U.T @ U, np.eye(4), atol=1e-12)
    sample = model.sample(50, eps=0.3, rng=2)
    assert sample.X.shape == (50, 30) and sample.Y.shape == (50, 30)
    assert sample.Z.shape == (50, 4) and sample.matched.shape == (50,)
    # Modality 2 always has isotropic unit noise; modality 1 has unit mean variance.
    np.testing.assert_allclose(model.noise2.covariance(), np.eye(30))
    assert model.noise1.variances.mean() == pytest.approx(1.0)
    assert (model.noise1.loading.shape[1] > 0) == (noise == "structured")


def test_coherent_model_lives_on_few_coordinates():
    model = robustness_model("isotropic", True, d=50, r=3, rng=0)
    assert np.count_nonzero(np.abs(model.U1).sum(axis=1)) == 6
    assert np.count_nonzero(np.abs(model.U2).sum(axis=1)) == 6
    assert mmcl.coherence(model.U1) >= 50 / 6 - 1e-9


# --- the sweep --------------------------------------------------------------------


def test_sweep_errors_are_those_of_fit_svd_and_pca_on_its_sample(monkeypatch):
    from mmcl.experiments import sampling

    model = robustness_model("structured", True, d=12, r=2, rng=0)
    batches = []

    def spy(*args, **kwargs):
        # with the rows of modality 2's noise, the sums use them instead of drawing their law
        batches.append(sampling.sample_batch(*args, **{**kwargs, "noise2": True}))
        return batches[-1]

    monkeypatch.setattr(robustness, "sample_batch", spy)
    ns, epss = [150, 300], [0.0, 0.6]
    out = robustness_sweep(model, ns=ns, epss=epss, seeds=2, rng=5, chunk=1000)
    assert out.mmcl.shape == (2, 2, 2) and out.pca.shape == out.unimodal_cl.shape == (2, 2)
    assert len(batches) > 2  # the sample grew in several blocks
    X = np.concatenate([b.X for b in batches], axis=1)
    Ys = {eps: np.concatenate([b.Y(model, eps) for b in batches], axis=1) for eps in epss}
    assert X.shape[1] == 300
    for s in range(2):
        for i, n in enumerate(ns):
            for j, eps in enumerate(epss):
                fit = mmcl.fit_svd(X[s, :n], Ys[eps][s, :n], 2)
                assert out.mmcl[s, i, j] == pytest.approx(
                    mmcl.sin_theta(fit.G1.T, model.U1), abs=1e-9
                )
            assert out.pca[s, i] == pytest.approx(
                mmcl.sin_theta(mmcl.pca(X[s, :n], 2).T, model.U1), abs=1e-9
            )


def test_sweep_point_does_not_depend_on_the_rest_of_the_grid():
    """Common random numbers: with blocks that divide every n, adding smaller sample sizes or
    other eps values to the grid leaves each point unchanged; eps come back in the order given."""
    model = robustness_model("structured", True, d=10, r=2, rng=0)
    # chunk // (seeds * d) = 100 rows per block: n = 200 and 400 are block boundaries.
    big = robustness_sweep(model, ns=[200, 400], epss=[0.6, 0.0, 0.3], seeds=2, rng=7, chunk=2000)
    one = robustness_sweep(model, ns=[400], epss=[0.6], seeds=2, rng=7, chunk=2000)
    np.testing.assert_allclose(big.mmcl[:, 1, 0], one.mmcl[:, 0, 0], rtol=1e-9)
    for name in ("unimodal_cl", "pca", "masked_error", "unimodal_to_limit"):
        np.testing.assert_allclose(getattr(big, name)[:, 1], getattr(one, name)[:, 0], rtol=1e-9)
    ordered = robustness_sweep(
        model, ns=[200, 400], epss=[0.0, 0.3, 0.6], seeds=2, rng=7, chunk=2000
    )
    np.testing.assert_allclose(big.mmcl, ordered.mmcl[:, :, [2, 0, 1]], rtol=1e-9)
    np.testing.assert_array_equal(big.eps, [0.6, 0.0, 0.3])


def _direct(model, n, eps, seeds, rng, method):
    rng = np.random.default_rng(rng)
    out = []
    for _ in range(seeds):
        s = model.sample(n, eps=eps, rng=rng)
        G = (
            mmcl.fit_svd(s.X, s.Y, model.r).G1
            if method == "mmcl"
            else mmcl.unimodal_contrastive(s.X, model.r, rng=rng, center=False)
        )
        out.append(mmcl.sin_theta(G.T, model.U1))
    return np.array(out)


@pytest.mark.parametrize("method, eps", [("mmcl", 0.5), ("unimodal_cl", 0.0)])
def test_sweep_agrees_with_direct_monte_carlo(method, eps):
    """The vectorised sweep has the distribution of fitting each sample on its own."""
    model = robustness_model("structured", True, d=12, r=2, rng=0)
    out = robustness_sweep(model, ns=[300], epss=[eps], seeds=100, rng=1)
    a = out.mmcl[:, 0, 0] if method == "mmcl" else out.unimodal_cl[:, 0]
    b = _direct(model, 300, eps, 100, 2, method)
    assert abs(a.mean() - b.mean()) < 3 * np.hypot(a.std(), b.std()) / np.sqrt(100)


def test_sweep_prefixes_equal_separate_samples_in_distribution():
    model = robustness_model("isotropic", False, d=10, r=2, rng=0)
    a = robustness_sweep(model, ns=[200, 2000], epss=[0.0], seeds=30, rng=1).mmcl[:, 1, 0]
    b = robustness_sweep(model, ns=[2000], epss=[0.0], seeds=30, rng=2).mmcl[:, 0, 0]
    assert abs(a.mean() - b.mean()) < 3 * np.hypot(a.std(), b.std()) / np.sqrt(30)


def test_sweep_mmcl_beats_baselines_under_structured_noise():
    model = robustness_model("structured", True, d=40, r=3, rng=0)
    out = robustness_sweep(model, ns=[4000], epss=[0.5], seeds=3, rng=1)
    assert out.mmcl[:, 0, 0].max() < min(out.unimodal_cl.min(), out.pca.min())


def test_sweep_unimodal_converges_to_its_population_limit():
    model = robustness_model("heteroskedastic", True, d=12, r=2, rng=0)
    out = robustness_sweep(model, ns=[500, 8000], epss=[0.0], seeds=4, rng=3)
    assert np.all(out.masked_error[:, 1] < out.masked_error[:, 0])
    assert out.unimodal_to_limit[:, 1].mean() < out.unimodal_to_limit[:, 0].mean()
    # The masked-view matrix's error falls like 1/sqrt(n).
    ratio = out.masked_error[:, 0].mean() / out.masked_error[:, 1].mean()
    assert 2.5 < ratio < 6.5


# --- theory -------------------------------------------------------------------------


def test_first_order_constant_hand_computed():
    """U1 = U2 = e1, lambda = 2, noise variances v (modality 1) and w (modality 2):
    C^2 = (v_2 + ... + v_d) (lambda + w_1) / lambda^2."""
    e1 = np.eye(4)[:, :1]
    v, w = np.array([0.5, 1.0, 2.0, 3.0]), np.array([1.5, 0.2, 0.2, 0.2])
    model = mmcl.TwoModalityModel(
        U1=e1,
        U2=e1,
        lam=np.array([2.0]),
        noise1=mmcl.Noise(v, np.zeros((4, 0))),
        noise2=mmcl.Noise(w, np.zeros((4, 0))),
    )
    assert first_order_constant(model) == pytest.approx(np.sqrt(6.0 * 3.5 / 4.0))
    # A nuisance along a signal direction does not enter P_perp Sigma_1.
    loaded = mmcl.TwoModalityModel(
        U1=e1,
        U2=e1,
        lam=np.array([2.0]),
        noise1=mmcl.Noise(v, 5.0 * e1),
        noise2=mmcl.Noise(w, np.zeros((4, 0))),
    )
    assert first_order_constant(loaded) == pytest.approx(first_order_constant(model))


@pytest.mark.parametrize("eps", [0.0, 0.5])
def test_first_order_constant_against_monte_carlo(eps):
    """E[n (1 - eps)^2 sin^2] -> C^2 in the perturbative regime."""
    model = mmcl.make_model(
        8,
        6,
        2,
        rng=0,
        signal=[4.0, 2.0],
        noise_sd=1.0,
        heteroskedasticity=(1.0, 0.5),
        nuisance_rank=(1, 1),
        nuisance_strength=1.0,
    )
    n, seeds = 3000, 200
    out = robustness_sweep(model, ns=[n], epss=[eps], seeds=seeds, rng=1)
    v = n * (1 - eps) ** 2 * out.mmcl[:, 0, 0] ** 2
    assert out.mmcl.max() < 0.5  # perturbative
    assert abs(v.mean() - first_order_constant(model) ** 2) < 3 * v.std() / np.sqrt(seeds)


def test_crossover_eps():
    eps = np.array([0.0, 0.5, 1.0])
    assert crossover_eps(eps, [0.2, 0.6, 2.0], 1.0) == pytest.approx(0.5 + 0.5 * 0.4 / 1.4)
    assert crossover_eps(eps, [1.2, 1.6, 2.0], 1.0) == 0.0
    assert np.isnan(crossover_eps(eps, [0.2, 0.3, 0.4], 1.0))
    # A baseline that varies with eps; for linear curves the interpolation is the exact crossing.
    grid = np.linspace(0, 1, 11)
    assert crossover_eps(grid, 0.1 + 2 * grid, 1.0 - grid) == pytest.approx(0.3)


# --- CLIP against the linear loss ------------------------------------------------


def test_sweep_grows_the_sample_by_single_rows():
    """Sample sizes one apart, or blocks of one row, are fine (a batch may hold a single row)."""
    model = robustness_model("isotropic", False, d=6, r=2, rng=0)
    rowwise = robustness_sweep(model, ns=[3, 4, 6], epss=[0.0], seeds=2, rng=1, chunk=12)
    alone = robustness_sweep(model, ns=[6], epss=[0.0], seeds=2, rng=1, chunk=12)
    np.testing.assert_allclose(rowwise.mmcl[:, 2], alone.mmcl[:, 0], rtol=1e-9)
    assert robustness_sweep(model, ns=[10, 11], epss=[0.0], seeds=1, rng=0).mmcl.shape == (1, 2, 1)
