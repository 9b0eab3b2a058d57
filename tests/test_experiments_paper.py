"""mmcl.experiments.paper: the reproduction of Nakada et al. (2023), Section 5.1."""

import numpy as np

import mmcl.experiments.paper as paper
from mmcl.experiments.paper import paper_reproduction

TINY = dict(seeds=2, rng=0, n=40, n_test=60, d1=6, d2=5, r=2, batch_size=10, epochs=2)


def test_paper_reproduction_shapes_and_ranges():
    out = paper_reproduction(Ns=[10, 20], long_epochs=3, **TINY)
    assert out.paper.shape == out.svd_unpaired.shape == (2, 2)
    assert out.raw_unpaired.shape == out.covariance_only.shape == out.recall.shape == (2, 2)
    for name in ("paper_pairs", "paper_pairs_long", "svd_pairs", "ceiling"):
        assert getattr(out, name).shape == (2,), name
    np.testing.assert_array_equal(out.Ns, [10, 20])
    for name in (
        "paper",
        "paper_pairs",
        "paper_pairs_long",
        "svd_pairs",
        "covariance_only",
        "raw_unpaired",
        "svd_unpaired",
        "ceiling",
    ):
        values = np.asarray(getattr(out, name))
        assert np.all((values >= 0) & (values <= 1)), name
        np.testing.assert_allclose(
            values * 60, np.round(values * 60), atol=1e-9
        )  # counts of 60 tests
    assert min(out.time_paper, out.time_svd_pairs, out.time_svd_unpaired) >= 0
    assert paper_reproduction(Ns=[10], **TINY).paper_pairs_long is None


def test_paper_reproduction_runs_every_seed_and_N_as_a_lane(monkeypatch):
    """One run of the paper's procedure: lanes seed-major, each using the first N unpaired rows
    of its seed's sample."""
    calls = []
    real = paper.paper_procedure

    def spy(X, Y, Xu, Yu, r, **kwargs):
        calls.append((X, Y, Xu, Yu, kwargs))
        return real(X, Y, Xu, Yu, r, **kwargs)

    monkeypatch.setattr(paper, "paper_procedure", spy)
    paper_reproduction(Ns=[10, 30], **TINY)
    assert len(calls) == 1
    X, Y, Xu, Yu, kwargs = calls[0]
    assert X.shape == (4, 40, 6) and [len(a) for a in Xu] == [10, 30, 10, 30]
    np.testing.assert_array_equal(X[0], X[1])  # seed 0, N = 10 and 30: same pairs
    assert not np.array_equal(X[1], X[2])
    np.testing.assert_array_equal(Xu[0], Xu[1][:10])  # the first N rows of one sample
    np.testing.assert_array_equal(Yu[2], Yu[3][:10])
    assert kwargs["epochs"] == kwargs["unpaired_epochs"] == 2 and kwargs["batch_size"] == 10


def test_paper_reproduction_ceiling_beats_chance_clearly():
    out = paper_reproduction(Ns=[20], **{**TINY, "d1": 12, "d2": 10, "r": 5, "noise_sd": 0.05})
    assert np.all(out.ceiling > 0.9)
    assert np.all(out.svd_pairs >= out.ceiling - 0.2)
