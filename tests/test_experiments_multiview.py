"""mmcl.experiments.multiview: real views, which method finds what they share, unpaired digits."""

import numpy as np
import pytest

import mmcl
from mmcl.experiments import multiview as ex


@pytest.fixture(scope="module")
def data():
    return mmcl.load_multiple_features()


def test_view_benchmark_shapes_and_properties(data):
    views, labels = data
    out = ex.view_benchmark(
        views, labels, pairs=[("pix", "kar")], r=4, splits=2, n_train=600, clip_epochs=1, rng=0
    )
    assert out.methods == ex.METHODS and out.pairs == (("pix", "kar"),)
    assert out.retrieval.shape == out.same_class.shape == out.probe.shape == (2, 1, 7)
    no_shared_space = [ex.METHODS.index(m) for m in ("unimodal CL", "PCA", "raw features")]
    assert np.isnan(out.retrieval[..., no_shared_space]).all()
    assert np.isfinite(np.delete(out.retrieval, no_shared_space, axis=2)).all()
    assert np.all((out.probe >= 0) & (out.probe <= 1))
    assert out.chance == pytest.approx(1 / 1400)
    # same-digit retrieval is never below partner retrieval (a partner is the same digit)
    shared = np.delete(out.retrieval, no_shared_space, axis=2)
    assert np.all(np.delete(out.same_class, no_shared_space, axis=2) >= shared)
    # CCA finds the partner far above chance on this easy pair
    assert out.retrieval[:, 0, ex.METHODS.index("CCA")].min() > 0.5


def test_real_unpaired_shapes_and_ceiling(data):
    views, labels = data
    out = ex.real_unpaired(
        views, labels, pairs=[("pix", "kar")], n_pairs=40, n_unpaired=60, splits=1, r=3, rng=1
    )
    assert out.routes == ex.UNPAIRED_ROUTES and out.retrieval.shape == (1, 1, 6)
    assert out.precision.shape == out.recall.shape == (1, 1)
    assert 0 <= out.precision[0, 0] <= 1 and 0 <= out.recall[0, 0] <= 1
    known = out.retrieval[0, 0, ex.UNPAIRED_ROUTES.index("all pairs known: CCA")]
    assert known >= out.retrieval[0, 0, ex.UNPAIRED_ROUTES.index("pairs only: CCA")] - 0.02
