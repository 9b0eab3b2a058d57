"""mmcl.book: the glue helper of the notebooks."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmcl.book import GLUE_PREFIX, clean_number, glue


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
    """What glue displays, as (name, MIME bundle, metadata)."""
    import IPython.display

    calls = []

    def display(bundle, raw=False, metadata=None):
        assert raw is True
        calls.append((metadata["scrapbook"]["name"], bundle, metadata))

    monkeypatch.setattr(IPython.display, "display", display)
    return calls


def test_glue_emits_what_myst_nb_glue_emits(monkeypatch, glued):
    """The same display call as ``myst_nb.glue(name, value, display=False)``."""
    import matplotlib.pyplot as plt
    import myst_nb.ext.glue
    from IPython.display import Markdown

    theirs = []
    monkeypatch.setattr(
        myst_nb.ext.glue,
        "ipy_display",
        lambda bundle, raw, metadata: theirs.append((bundle, metadata)),
    )
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    try:
        glue({"fig-x": fig}, n=200, text="**bold**")
        for name, value in (("fig-x", fig), ("n", 200), ("text", Markdown("**bold**"))):
            myst_nb.ext.glue.glue(name, value, display=False)
    finally:
        plt.close(fig)
    ours = [(bundle, meta) for _, bundle, meta in glued]
    assert ours[:2] == theirs[:2]  # figures and numbers: exactly myst-nb's call
    # text: myst-nb's Markdown bundle, with the string itself as its plain text (for
    # {glue:text}), where myst-nb would put the repr of a Markdown object
    markdown = GLUE_PREFIX + "text/markdown"
    assert ours[2][0][markdown] == theirs[2][0][markdown] == "**bold**"
    assert ours[2][0][GLUE_PREFIX + "text/plain"] == "**bold**"
    assert ours[2][1]["scrapbook"] == theirs[2][1]["scrapbook"]
    assert all(key.startswith(GLUE_PREFIX) for _, bundle, _ in glued for key in bundle)


def test_glue_passes_clean_values_without_display(glued):
    import matplotlib.pyplot as plt

    fig = plt.figure()
    try:
        glue({"fig-x": fig}, n=np.int64(200), gap=0.1 + 0.2, text="**bold**")
    finally:
        plt.close(fig)
    by_name = {name: bundle for name, bundle, _ in glued}
    assert set(by_name) == {"fig-x", "n", "gap", "text"}
    assert by_name["n"] == {GLUE_PREFIX + "text/plain": "200"}
    assert by_name["gap"] == {GLUE_PREFIX + "text/plain": "0.3"}
    assert all(key.startswith(GLUE_PREFIX) for key in by_name["fig-x"])
    assert by_name["text"][GLUE_PREFIX + "text/markdown"] == "**bold**"


def test_glue_refuses_what_it_cannot_show(glued):
    with pytest.raises(TypeError, match="value"):
        glue(values=[1, 2])
    assert glued == []


def test_small_number_says_exact_zero_and_refuses_non_numbers():
    from mmcl.book import small_number

    assert small_number(0.0) == small_number(np.float64(-0.0)) == "0 (exact in floating point)"
    assert small_number(1.25e-13) == "1.2e-13" and small_number(np.float64(3e-9)) == "3.0e-09"
    with pytest.raises(TypeError, match="value"):
        small_number("0")
