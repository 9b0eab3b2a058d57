"""mmcl.datasets: the digit halves shipped with scikit-learn."""

import numpy as np

import mmcl


def test_digit_halves():
    X, Y, labels = mmcl.load_digit_halves()
    assert X.shape == Y.shape == (1797, 32)
    assert X.dtype == Y.dtype == np.float64 and 0 <= X.min() and X.max() <= 16
    assert labels.shape == (1797,) and set(np.unique(labels)) == set(range(10))


def test_digit_halves_are_the_left_and_right_of_each_image():
    from sklearn.datasets import load_digits

    X, Y, labels = mmcl.load_digit_halves()
    images = load_digits().images
    whole = np.concatenate([X.reshape(-1, 8, 4), Y.reshape(-1, 8, 4)], axis=2)
    np.testing.assert_array_equal(whole, images)
    np.testing.assert_array_equal(labels, load_digits().target)
