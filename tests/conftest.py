import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("mmcl", max_examples=40, deadline=None, derandomize=True)
settings.load_profile("mmcl")


@pytest.fixture
def rng():
    return np.random.default_rng(20230206)


def random_problem(rng, n=12, d1=5, d2=4, r=2, scale=0.5):
    X = rng.standard_normal((n, d1))
    Y = rng.standard_normal((n, d2))
    G1 = scale * rng.standard_normal((r, d1))
    G2 = scale * rng.standard_normal((r, d2))
    return G1, G2, X, Y
