import matplotlib
import numpy as np
import pytest
from hypothesis import settings

matplotlib.use("Agg")

settings.register_profile("mmcl", max_examples=40, deadline=None, derandomize=True)
settings.load_profile("mmcl")


@pytest.fixture
def rng():
    return np.random.default_rng(20230206)


@pytest.fixture
def close_figures():
    """Close every matplotlib figure a test leaves open."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def random_problem(rng, n=12, d1=5, d2=4, r=2, scale=0.5):
    X = rng.standard_normal((n, d1))
    Y = rng.standard_normal((n, d2))
    G1 = scale * rng.standard_normal((r, d1))
    G2 = scale * rng.standard_normal((r, d2))
    return G1, G2, X, Y


def model_sample(seed, n=60, d1=6, d2=5, r=2, signal=(4.0, 2.0), noise_sd=0.5):
    """Pairs from a small two-modality model (the model drawn first, then the sample)."""
    import mmcl

    rng = np.random.default_rng(seed)
    model = mmcl.make_model(d1, d2, r, rng=rng, signal=list(signal)[:r], noise_sd=noise_sd)
    s = model.sample(n, rng=rng)
    return s.X, s.Y
