"""mmcl.experiments.unpaired: the chapter's problem, detection and calibration."""

import numpy as np

from mmcl.experiments.unpaired import (
    detection_sweep,
    fdr_calibration,
    round_scores,
    unpaired_problem,
)

SMALL = dict(n=40, m=80, d=20, r=6)


def test_unpaired_problem():
    p = unpaired_problem(snr=4.0, fraction=0.5, n=20, m=30, d=8, r=2, rng=0)
    assert p.pairs.X.shape == (20, 8) and p.pairs.Y.shape == (20, 8)
    assert p.unpaired.Xu.shape == p.unpaired.Yu.shape == (30, 8) and p.unpaired.truth.shape == (
        15,
        2,
    )
    np.testing.assert_array_equal(p.model.lam, [4.0, 4.0])
    np.testing.assert_allclose(p.model.noise1.covariance(), np.eye(8))
    assert p.pairs.matched.all()
    again = unpaired_problem(snr=4.0, fraction=0.5, n=20, m=30, d=8, r=2, rng=0)
    np.testing.assert_array_equal(again.unpaired.Xu, p.unpaired.Xu)


def test_round_scores_repeat_the_last_round():
    truth = np.array([[0, 0], [1, 1], [2, 2], [3, 3]])
    history = [
        np.empty((0, 2), int),
        np.array([[0, 0], [1, 2]]),
        np.array([[0, 0], [1, 1], [2, 2]]),
    ]
    scores = round_scores(history, truth, 4)
    assert scores.shape == (5, 2)
    np.testing.assert_allclose(scores[:3], [[1.0, 0.0], [0.5, 0.25], [1.0, 0.75]])
    np.testing.assert_allclose(
        scores[3:], [[1.0, 0.75], [1.0, 0.75]]
    )  # converged: the last matching
    # A longer history is cut at rounds + 1.
    np.testing.assert_allclose(round_scores(history, truth, 1), [[1.0, 0.0], [0.5, 0.25]])


def test_detection_sweep():
    out = detection_sweep(snrs=[2.0, 16.0], fractions=[1.0, 0.5], seeds=2, rng=0, rounds=6, **SMALL)
    assert out.precision.shape == out.recall.shape == (2, 2, 2)
    assert out.round_precision.shape == out.round_recall.shape == (2, 2, 2, 7)
    np.testing.assert_array_equal(out.snrs, [2.0, 16.0])
    # Round 0 is the pairs-only fit: nothing detected.
    np.testing.assert_array_equal(out.round_precision[..., 0], 1.0)
    np.testing.assert_array_equal(out.round_recall[..., 0], 0.0)
    # The final matching is the last round's, whether the rounds ran out or the matching converged.
    np.testing.assert_array_equal(out.round_precision[..., -1], out.precision)
    np.testing.assert_array_equal(out.round_recall[..., -1], out.recall)
    assert np.all((out.precision >= 0) & (out.precision <= 1))
    # At high SNR with every sample partnered many pairs are found, and the matching converges
    # before the rounds run out (so the last rounds are padding).
    assert out.recall[0, 1].mean() > 0.3
    assert np.all(out.round_recall[0, 1, :, -2] == out.round_recall[0, 1, :, -1])


def test_detection_sweep_settings_share_their_problem():
    """Each seed's problem is the same for every setting, so a setting's result does not depend
    on the others in the sweep."""
    both = detection_sweep(snrs=[2.0, 16.0], fractions=[1.0], seeds=2, rng=3, rounds=2, **SMALL)
    one = detection_sweep(snrs=[16.0], fractions=[1.0], seeds=2, rng=3, rounds=2, **SMALL)
    np.testing.assert_array_equal(both.recall[:, 1], one.recall[:, 0])
    np.testing.assert_array_equal(both.round_precision[:, 1], one.round_precision[:, 0])


def test_fdr_calibration():
    out = fdr_calibration(
        targets=[0.05, 0.3], fractions=[1.0, 0.5], seeds=3, rng=0, snr=16.0, **SMALL
    )
    assert out.fdp.shape == out.detected.shape == (2, 2, 3)
    assert np.all((out.fdp >= 0) & (out.fdp <= 1))
    assert np.all(out.detected <= 80)
    np.testing.assert_array_equal(out.fdp[out.detected == 0], 0.0)
    # Same problems for every target.
    one = fdr_calibration(targets=[0.3], fractions=[0.5], seeds=3, rng=0, snr=16.0, **SMALL)
    np.testing.assert_array_equal(one.fdp[0, 0], out.fdp[1, 1])
    np.testing.assert_array_equal(one.detected[0, 0], out.detected[1, 1])
