"""mmcl.datasets: the digit halves of scikit-learn and the multiple-features digits shipped
with the package."""

import numpy as np

import mmcl

MULTIPLE_FEATURES_SHA256 = "75d7bfe9511c9ed1d3854a835b332454ee831a3d1986d0bce8f3df22feb380bb"


def test_multiple_features_shapes_and_classes():
    views, labels = mmcl.load_multiple_features()
    widths = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}
    assert {name: V.shape for name, V in views.items()} == {k: (2000, d) for k, d in widths.items()}
    assert all(V.dtype == np.float64 and np.isfinite(V).all() for V in views.values())
    assert labels.shape == (2000,) and np.issubdtype(labels.dtype, np.integer)
    np.testing.assert_array_equal(np.bincount(labels), np.full(10, 200))
    np.testing.assert_array_equal(labels, np.repeat(np.arange(10), 200))  # blocks of 200


def test_multiple_features_file_is_the_shipped_one():
    import hashlib
    from importlib import resources

    data = (resources.files("mmcl") / "_data" / "multiple_features.npz").read_bytes()
    assert len(data) == 2_677_929
    assert hashlib.sha256(data).hexdigest() == MULTIPLE_FEATURES_SHA256
    licence = (resources.files("mmcl") / "_data" / "LICENSE-DATA.md").read_text()
    assert "CC BY 4.0" in licence or "Creative Commons Attribution 4.0" in licence


def test_multiple_features_loads_offline(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("load_multiple_features tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    views, _ = mmcl.load_multiple_features()
    assert views["pix"].shape == (2000, 240)


def test_multiple_features_views_describe_the_same_digits():
    # pix and kar are two descriptions of the same pixels: a linear map predicts one from the
    # other far better for the same row than for a shuffled one.
    views, _ = mmcl.load_multiple_features()
    X, Y = views["pix"] - views["pix"].mean(0), views["kar"] - views["kar"].mean(0)
    coef = np.linalg.lstsq(X, Y, rcond=None)[0]
    same = np.linalg.norm(Y - X @ coef) / np.linalg.norm(Y)
    shuffled = np.linalg.norm(Y - X[::-1] @ coef) / np.linalg.norm(Y)
    assert same < 0.5 < shuffled
