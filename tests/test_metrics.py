"""mmcl.metrics: subspace distance, retrieval, linear probe, detection scores."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mmcl


def test_sin_theta_known_values():
    e = np.eye(4)
    assert mmcl.sin_theta(e[:, :2], e[:, :2]) == 0.0
    assert mmcl.sin_theta(e[:, :2], e[:, 2:]) == pytest.approx(np.sqrt(2))
    assert mmcl.sin_theta(e[:, :1], np.array([[1.0], [1.0], [0], [0]])) == pytest.approx(
        np.sqrt(0.5)
    )
    assert mmcl.sin_theta(e[:, :1], e[:, :3]) == 0.0  # a line inside a 3-plane


@given(st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_sin_theta_is_a_subspace_distance(seed, k):
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((6, k)), rng.standard_normal((6, k))
    T = rng.standard_normal((k, k)) + 3 * np.eye(k)  # invertible change of basis
    d = mmcl.sin_theta(A, B)
    assert 0 <= d <= np.sqrt(k) + 1e-12
    assert mmcl.sin_theta(A @ T, B) == pytest.approx(d, abs=1e-9)
    assert mmcl.sin_theta(B, A) == pytest.approx(d, abs=1e-9)  # symmetric for equal dimensions


def test_sin_theta_small_angles_keep_relative_accuracy():
    A = np.array([[1.0], [0.0]])
    B = np.array([[1.0], [1e-10]])
    assert mmcl.sin_theta(A, B) == pytest.approx(1e-10, rel=1e-6)


def test_sin_theta_rejects_rank_deficient_and_mismatched():
    with pytest.raises(ValueError, match="A must have full column rank"):
        mmcl.sin_theta(np.zeros((3, 1)), np.eye(3)[:, :1])
    with pytest.raises(ValueError, match="same number of rows"):
        mmcl.sin_theta(np.eye(3)[:, :1], np.eye(4)[:, :1])
    with pytest.raises(ValueError, match="B must have at most as many columns"):
        mmcl.sin_theta(np.eye(3)[:, :1], np.ones((2, 3)))


def test_orthonormal_basis_spans_the_columns():
    A = np.random.default_rng(0).standard_normal((6, 3))
    Q = mmcl.orthonormal_basis(A)
    np.testing.assert_allclose(Q.T @ Q, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(Q @ (Q.T @ A), A, atol=1e-12)


def test_retrieval_accuracy():
    rng = np.random.default_rng(0)
    E = rng.standard_normal((30, 4))
    assert mmcl.retrieval_accuracy(E, 3.0 * E) == 1.0
    perm = np.roll(np.arange(30), 1)
    assert mmcl.retrieval_accuracy(E, E[perm]) == 0.0


def test_retrieval_accuracy_blocks_match_direct_argmax():
    rng = np.random.default_rng(0)
    E1, E2 = rng.normal(size=(700, 4)), rng.normal(size=(700, 4))
    E2 = E1 + 0.8 * E2
    A = E1 / np.linalg.norm(E1, axis=1, keepdims=True)
    B = E2 / np.linalg.norm(E2, axis=1, keepdims=True)
    direct = np.mean(np.argmax(A @ B.T, axis=1) == np.arange(700))
    assert mmcl.retrieval_accuracy(E1, E2) == direct


def test_retrieval_accuracy_is_invariant_to_row_scaling_and_joint_permutation():
    rng = np.random.default_rng(1)
    E1 = rng.normal(size=(200, 3))
    E2 = E1 + 0.7 * rng.normal(size=(200, 3))
    base = mmcl.retrieval_accuracy(E1, E2)
    c1, c2 = rng.uniform(0.1, 10, (200, 1)), rng.uniform(0.1, 10, (200, 1))
    perm = rng.permutation(200)
    assert mmcl.retrieval_accuracy(c1 * E1, c2 * E2) == base
    assert mmcl.retrieval_accuracy(E1[perm], E2[perm]) == base


def test_probe_accuracy_separable_and_random():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    centres = np.array([[5.0, 0], [0, 5.0], [-5.0, -5.0]])
    E = centres[labels] + rng.standard_normal((600, 2))
    assert mmcl.probe_accuracy(E[:400], labels[:400], E[400:], labels[400:]) > 0.97
    noise = rng.standard_normal((600, 2))
    assert (
        mmcl.probe_accuracy(noise[:400], labels[:400], noise[400:], labels[400:], ridge=0.0) < 0.5
    )


@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_probe_accuracy_is_invariant_to_rescaling_columns(scale):
    """The probe standardises the embeddings: the ridge penalty does not depend on their units."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    # The label is carried by column 1; column 0 is noise.
    E = np.column_stack(
        [rng.standard_normal(400), 2.0 * labels - 1.0 + 0.5 * rng.standard_normal(400)]
    )
    args = (labels[:300], labels[300:])
    base = mmcl.probe_accuracy(E[:300], args[0], E[300:], args[1], ridge=1.0)
    assert base > 0.9
    D = np.array([1.0, scale])
    E_scaled = E * D
    assert mmcl.probe_accuracy(E_scaled[:300], args[0], E_scaled[300:], args[1], ridge=1.0) == base
    # Also with a shift (the probe has an intercept) and a label-free column blown up.
    E_moved = E * np.array([1e4, 1.0]) + 3.0
    assert mmcl.probe_accuracy(E_moved[:300], args[0], E_moved[300:], args[1], ridge=1.0) == base


def test_probe_accuracy_with_string_labels():
    E = np.array([[0.0], [0.1], [1.0], [1.1]])
    assert mmcl.probe_accuracy(E, ["a", "a", "b", "b"], E[::-1], ["b", "b", "a", "a"]) == 1.0


def test_detection_scores():
    assert mmcl.detection_scores([[0, 1], [2, 0]], [[0, 1], [1, 2]]) == (0.5, 0.5)
    assert mmcl.detection_scores([[0, 1], [1, 2], [3, 3]], [[1, 2], [0, 1]]) == (
        pytest.approx(2 / 3),
        1.0,
    )


def test_detection_scores_edge_cases():
    assert mmcl.detection_scores(np.empty((0, 2), int), [[0, 0]]) == (1.0, 0.0)
    assert mmcl.detection_scores([[0, 0]], np.empty((0, 2), int)) == (0.0, 1.0)


@pytest.mark.parametrize("r", [1, 3, 10])
def test_retrieval_accuracy_screen_is_exact_with_ties_and_near_ties(r):
    rng = np.random.default_rng(r)
    E1 = rng.normal(size=(900, r))
    E2 = E1 + 0.5 * rng.normal(size=(900, r))
    E2[10] = E2[20]  # an exact tie: the first maximiser wins
    E2[30] = E2[31] * (1 + 1e-12)  # a tie in cosine, not in the rows
    E2[40] = E1[40] + 1e-9 * rng.normal(size=r)  # the partner barely differs
    E1[50] = 0.0  # a zero row ties with every column
    tiny = np.finfo(float).tiny
    A = E1 / np.maximum(np.linalg.norm(E1, axis=1, keepdims=True), tiny)
    B = E2 / np.maximum(np.linalg.norm(E2, axis=1, keepdims=True), tiny)
    direct = np.mean(np.argmax(A @ B.T, axis=1) == np.arange(900))
    assert mmcl.retrieval_accuracy(E1, E2) == direct
