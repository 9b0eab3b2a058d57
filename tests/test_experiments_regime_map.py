"""mmcl.experiments.regime_map: every route side by side, and the explorer's view."""

import numpy as np

import mmcl
from mmcl.experiments.regime_map import MAP_METHODS, explorer_view, fit_routes, regime_map
from mmcl.experiments.unpaired import unpaired_problem

SMALL = dict(n=30, d=12, r=3)


def test_fit_routes_match_the_public_functions():
    p = unpaired_problem(snr=16.0, m=60, fraction=1.0, rng=0, **SMALL)
    X, Y, un = p.pairs.X, p.pairs.Y, p.unpaired
    encoders, detected, spikes = fit_routes(p, 3)
    assert len(encoders) == len(MAP_METHODS) and spikes == 3
    np.testing.assert_allclose(encoders[0], mmcl.fit_svd(X, Y, 3).G1)
    np.testing.assert_allclose(encoders[1], mmcl.pca(np.vstack([X, un.Xu]), 3))
    np.testing.assert_allclose(encoders[4], mmcl.fit_with_unpaired(X, Y, un.Xu, un.Yu, 3).G1)
    np.testing.assert_array_equal(detected[1], mmcl.fit_with_unpaired(X, Y, un.Xu, un.Yu, 3).pairs)


def test_regime_map_shapes_and_isotropic_identity():
    out = regime_map(snrs=[2.0, 16.0], ms=[40, 80], seeds=2, rng=0, **SMALL)
    assert out.loading.shape == out.unexplained.shape == (2, 2, 2, 2, 7)
    assert out.recall.shape == out.fdp.shape == out.detected.shape == (2, 2, 2, 2, 2)
    assert np.all((out.unexplained > 0) & (out.unexplained < 1))
    # Isotropic noise: r spikes, and the default equals PCA on all samples in the loading error.
    iso = out.noises.index("isotropic")
    assert np.all(out.spikes[iso] == 3)
    np.testing.assert_allclose(out.loading[iso, ..., 4], out.loading[iso, ..., 1], atol=1e-8)
    # The pairs do not depend on m: the pairs-only route is the same in every m.
    np.testing.assert_allclose(out.loading[..., 0, :, 0], out.loading[..., 1, :, 0])
    assert out.cell("structured", 16.0, 80) == (1, 1, 1)
    np.testing.assert_array_equal(out.fdp[out.detected == 0], 0.0)


def test_explorer_view():
    view = explorer_view(noise="structured", snr=16.0, m=80, target_fdr=0.2, rng=0, n=40, d=20)
    p = unpaired_problem(noise="structured", snr=16.0, n=40, m=80, d=20, r=6, fraction=0.5, rng=0)
    encoders, detected, spikes = fit_routes(p, 6, target_fdr=0.2)
    assert view.spikes == spikes == 9
    expected = [mmcl.loading_sin_theta(G, p.model.U1, p.model.covariance(1)) for G in encoders]
    np.testing.assert_allclose(view.loading, expected)
    assert view.precision.shape == view.recall.shape == (2,)
    assert (view.precision[1], view.recall[1]) == mmcl.detection_scores(
        detected[1], p.unpaired.truth
    )
