"""mmcl.book: the glue helper of the notebooks."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmcl.book import clean_number, glue


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.1 + 0.2, 0.3),
        (3.0000000000000004, 3),
        (2.5e-13, 2.5e-13),
        (7, 7),
        (np.int64(5), 5),
        (np.float64(1.5), 1.5),
        (np.array(2.0), 2),
        (np.float32(0.25), 0.25),
        (-4.0, -4),
        (1e20, 1e20),
        (123456.7890123456, 123456.789012),
    ],
)
def test_clean_number(value, expected):
    got = clean_number(value)
    assert got == expected and type(got) is type(expected)


def test_clean_number_keeps_non_finite_and_refuses_non_numbers():
    assert clean_number(np.inf) == np.inf
    assert np.isnan(clean_number(float("nan")))
    for bad in (True, np.bool_(False), "3", None, [1.0], np.ones(2)):
        with pytest.raises(TypeError, match="value"):
            clean_number(bad)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_clean_number_is_within_twelve_digits(x):
    got = clean_number(x)
    assert type(got) in (int, float)
    assert got == pytest.approx(x, rel=1e-11, abs=0)


@pytest.fixture
def glued(monkeypatch):
    import myst_nb

    calls = []
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display=True: calls.append((name, value, display))
    )
    return calls


def test_glue_passes_clean_values_without_display(glued):
    import matplotlib.pyplot as plt
    from IPython.display import Markdown

    fig = plt.figure()
    try:
        glue({"fig-x": fig}, n=np.int64(200), gap=0.1 + 0.2, text="**bold**")
    finally:
        plt.close(fig)
    by_name = {name: (value, display) for name, value, display in glued}
    assert set(by_name) == {"fig-x", "n", "gap", "text"}
    assert all(display is False for _, display in by_name.values())
    assert by_name["n"][0] == 200 and type(by_name["n"][0]) is int
    assert by_name["gap"][0] == 0.3
    assert by_name["fig-x"][0] is fig
    assert isinstance(by_name["text"][0], Markdown) and by_name["text"][0].data == "**bold**"


def test_glue_refuses_what_it_cannot_show(glued):
    with pytest.raises(TypeError, match="value"):
        glue(values=[1, 2])
    assert glued == []
