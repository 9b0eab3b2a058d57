import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mmcl


def test_sin_theta_known_values():
    e = np.eye(4)
    assert mmcl.sin_theta(e[:, :2], e[:, :2]) == 0.0
    assert mmcl.sin_theta(e[:, :2], e[:, 2:]) == pytest.approx(np.sqrt(2))
    assert mmcl.sin_theta(e[:, :1], np.array([[1.0], [1.0], [0], [0]])) == pytest.approx(np.sqrt(0.5))
    assert mmcl.sin_theta(e[:, :1], e[:, :3]) == 0.0       # a line inside a 3-plane


@given(st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_sin_theta_is_a_subspace_distance(seed, k):
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((6, k)), rng.standard_normal((6, k))
    T = rng.standard_normal((k, k)) + 3 * np.eye(k)     # invertible change of basis
    d = mmcl.sin_theta(A, B)
    assert 0 <= d <= np.sqrt(k) + 1e-12
    assert mmcl.sin_theta(A @ T, B) == pytest.approx(d, abs=1e-9)
    assert mmcl.sin_theta(B, A) == pytest.approx(d, abs=1e-9)   # symmetric for equal dimensions


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
