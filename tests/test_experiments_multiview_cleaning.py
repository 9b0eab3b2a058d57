"""mmcl.experiments.multiview_cleaning: keep-all, filters, weights and the oracle under mismatch."""

import numpy as np
import pytest

import mmcl
from mmcl.experiments import multiview_cleaning as ex


def test_auc_counts_ties_as_half():
    assert ex.auc([0.9, 0.8, 0.1, 0.8], [True, True, False, False]) == 0.875
    assert ex.auc([1.0, 0.0], [True, False]) == 1.0
    assert np.isnan(ex.auc([0.5, 0.5], [True, True]))
    with pytest.raises(ValueError, match="weights"):
        ex.auc([0.5], [True, False])


def test_cleaning_sweep_shapes_and_properties():
    out = ex.cleaning_sweep(epss=[0.0, 0.5], signals=[8.0], seeds=2, rng=0, n=400, rounds=2)
    assert out.keep_all.shape == out.weighted.shape == out.oracle.shape == (2, 1, 2)
    assert out.filtered.shape == out.kept.shape == out.fdp.shape == (2, 1, 2, 3)
    # eps = 0: the oracle is keep-all and the AUC is undefined
    np.testing.assert_array_equal(out.oracle[:, :, 0], out.keep_all[:, :, 0])
    assert np.isnan(out.auc[:, :, 0]).all() and (out.auc[:, :, 1] > 0.8).all()
    # at eps = 0.5 weighting beats keeping every pair
    assert np.all(out.weighted[:, 0, 1] < out.keep_all[:, 0, 1])
    # the same seed gives the same sweep
    again = ex.cleaning_sweep(epss=[0.0, 0.5], signals=[8.0], seeds=2, rng=0, n=400, rounds=2)
    np.testing.assert_array_equal(again.weighted, out.weighted)


def test_real_cleaning_shapes_and_properties():
    views, labels = mmcl.load_multiple_features()
    out = ex.real_cleaning(
        views, labels, epss=[0.0, 0.5], pairs=[("pix", "kar")], encoders=["pls", "cca"],
        splits=1, r=3, n_train=600, rounds=2, rng=0,
    )  # fmt: skip
    assert out.encoders == ("pls", "cca") and out.cleaned.shape == (1, 1, 2, 2)
    # no wrong pairs at eps = 0: oracle = keep-all, no wrong-pair weights
    np.testing.assert_array_equal(out.oracle[..., 0], out.keep_all[..., 0])
    assert np.isnan(out.weight_same_digit[..., 0]).all()
    assert np.all(out.weight_true[..., 1] > out.weight_other_digit[..., 1])
    assert np.all((out.pi0 >= 0) & (out.pi0 <= 1))
