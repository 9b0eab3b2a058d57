"""Interactive explorers (ipywidgets) for the chapters, and their static views.

Each explorer is an :class:`Explorer`: a fast ``compute(**params)`` that
returns the data to show, a ``draw(fig, data, params)`` that draws it, and
the ipywidgets controls. ``Explorer.figure()`` renders the default view as a
static matplotlib figure (what the website shows); ``Explorer.widget()``
returns the live interface for Jupyter. Factories are registered in
:data:`EXPLORERS` so the benchmark can time every callback at its defaults.
"""

from __future__ import annotations

import functools
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

from . import plots

__all__ = ["Explorer", "EXPLORERS", "register"]

#: name -> factory returning an :class:`Explorer` (used by ``make bench``).
EXPLORERS: dict[str, Callable[[], "Explorer"]] = {}


def register(name: str):
    """Decorator adding an explorer factory to :data:`EXPLORERS`."""

    def deco(factory):
        EXPLORERS[name] = factory
        return factory

    return deco


class Explorer:
    """An interactive figure: controls -> ``compute`` -> ``draw``.

    Parameters
    ----------
    compute : callable
        ``compute(**params) -> data``; must answer in a fraction of a second.
    draw : callable
        ``draw(fig, data, params)``; draws on an empty figure.
    controls : dict
        Parameter name -> ipywidgets control; their values are the defaults.
    figsize : (float, float)
    """

    def __init__(self, compute: Callable, draw: Callable, controls: dict, *, figsize=(9.0, 3.6)):
        self.compute, self.draw, self.controls, self.figsize = compute, draw, controls, figsize

    @property
    def defaults(self) -> dict:
        """Current value of every control."""
        return {name: c.value for name, c in self.controls.items()}

    def figure(self, **params):
        """Static figure at the defaults, overridden by ``params``."""
        values = {**self.defaults, **params}
        plots.use_style()
        fig = plt.figure(figsize=self.figsize)
        self.draw(fig, self.compute(**values), values)
        return fig

    def widget(self):
        """The live interface: controls above an output area that redraws."""
        import ipywidgets as w
        from IPython.display import display

        out = w.Output()

        def refresh(_change=None):
            fig = self.figure()
            with out:
                out.clear_output(wait=True)
                display(fig)
            plt.close(fig)

        for c in self.controls.values():
            c.observe(refresh, names="value")
        refresh()
        return w.VBox([w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap")), out])


# --- Chapter: From contrastive loss to SVD ---

#: Temperatures and regulariser weights of the explorer's default grid.
LOSS_TO_SVD_TAUS = (0.5, 1.0, 2.0, 5.0)
LOSS_TO_SVD_RHOS = (0.05, 0.2, 1.0)


def _loss_to_svd_sample(n: int, seed: int):
    """Centred pairs from the chapter's model: d1 = 12, d2 = 10, r = 3."""
    from .data import make_model

    model = make_model(12, 10, 3, rng=seed, signal=[6.0, 4.0, 3.0], noise_sd=1.0)
    sample = model.sample(n, rng=seed + 1)
    return sample.X - sample.X.mean(axis=0), sample.Y - sample.Y.mean(axis=0)


@register("loss_to_svd")
def loss_to_svd(X=None, Y=None, grid=None, *, r: int = 3, n: int = 80, seed: int = 0) -> Explorer:
    """Explorer of the chapter *From contrastive loss to SVD*.

    Sliders pick a temperature ``tau`` and a regulariser weight ``rho`` of a
    grid of converged CLIP encoders (:func:`mmcl.selection_grid`); the view
    shows CLIP's weights ``beta_hat`` there (off-diagonal, relative to the
    linear loss's) and the spectrum of ``S(beta_hat)``, its selected triples
    highlighted, next to the spectrum of the linear loss's ``S``. The grid is
    computed once, so each redraw costs one weight matrix.

    Parameters
    ----------
    X : array, shape (n, d1), optional
    Y : array, shape (n, d2), optional
        Centred pairs; by default ``n`` pairs from the chapter's model.
    grid : SelectionGrid, optional
        Precomputed on ``(X, Y)``; by default computed on the grid
        ``LOSS_TO_SVD_TAUS x LOSS_TO_SVD_RHOS``.
    r : int
        Representation dimension when the grid is computed here.
    n, seed : int
        Size and seed of the default sample.

    Returns
    -------
    Explorer

    Examples
    --------
    >>> import mmcl.widgets
    >>> explorer = mmcl.widgets.loss_to_svd(n=40)
    >>> sorted(explorer.compute(**explorer.defaults))
    ['beta', 'linear_singular_values', 'selected', 'singular_values']
    """
    import ipywidgets as w
    import numpy as np

    from ._checks import as_pair
    from .experiments import SelectionGrid, selection_grid
    from .losses import clip_loss, linear_cross_covariance

    if X is None and Y is None:
        if grid is not None:
            raise ValueError("grid was given without the data X, Y it was computed on")
        X, Y = _loss_to_svd_sample(n, seed)
    X, Y = as_pair(X, Y)
    if grid is None:
        grid = selection_grid(X, Y, r, LOSS_TO_SVD_TAUS, LOSS_TO_SVD_RHOS, rng=seed)
    if not isinstance(grid, SelectionGrid):
        raise TypeError(f"grid must be a SelectionGrid (from mmcl.selection_grid); got {type(grid).__name__}")
    if grid.G1.shape[-1] != X.shape[1] or grid.G2.shape[-1] != Y.shape[1]:
        raise ValueError("grid must be computed on data with the dimensions of X and Y")
    s_lin = np.linalg.svd(linear_cross_covariance(X, Y), compute_uv=False)
    taus, rhos = [float(t) for t in grid.taus], [float(p) for p in grid.rhos]

    def compute(tau, rho):
        a, b = taus.index(tau), rhos.index(rho)
        beta = clip_loss(tau, rho).weights(grid.G1[a, b], grid.G2[a, b], X, Y)
        return {"beta": beta, "singular_values": grid.singular_values[a, b],
                "linear_singular_values": s_lin, "selected": grid.selected[a, b]}

    def draw(fig, data, params):
        chosen = ", ".join(str(k + 1) for k in data["selected"])
        plots.beta_spectrum_view(fig, data["beta"], data["singular_values"], data["linear_singular_values"],
                                 data["selected"],
                                 title=f"Converged CLIP, tau = {params['tau']:g}, rho = {params['rho']:g}: "
                                       f"selected triples {chosen}")

    def slider(name, values, default):
        value = min(values, key=lambda v: abs(v - default))
        return w.SelectionSlider(options=[(f"{v:g}", v) for v in values], value=value, description=name)

    controls = {"tau": slider("tau", taus, 1.0), "rho": slider("rho", rhos, 0.2)}
    return Explorer(compute, draw, controls, figsize=(9.5, 3.8))


# --- Chapter: Robustness to mismatched pairs ---

#: Grid of the robustness explorer: its n options and eps steps.
ROBUSTNESS_NS = (500, 1000, 2000, 4000, 8000)
ROBUSTNESS_EPSS = tuple(round(float(e), 2) for e in np.linspace(0.0, 1.0, 21))


@functools.lru_cache(maxsize=8)
def _robustness_table(noise: str, coherent: bool, seeds: int):
    """All errors of one (noise, basis) setting over the explorer's grid, computed once.

    One call of :func:`mmcl.experiments.robustness_sweep` covers every n and
    eps (nested samples, shared draws), so moving a slider is a lookup.
    """
    from .experiments import robustness_model, robustness_sweep

    model = robustness_model(noise, coherent, rng=0)
    return robustness_sweep(model, ROBUSTNESS_NS, ROBUSTNESS_EPSS, seeds=seeds, rng=0), model.r


def _robustness_compute(eps: float, n: int, noise: str, coherent: bool, *, seeds: int = 3):
    out, r = _robustness_table(noise, bool(coherent), seeds)
    i, j = ROBUSTNESS_NS.index(n), int(np.argmin(np.abs(out["eps"] - eps)))
    return {"errors": {"MMCL": out["MMCL"][:, i, j], "unimodal CL": out["unimodal CL"][:, i],
                       "PCA": out["PCA"][:, i]}, "r": r}


@register("robustness")
def robustness(*, seeds: int = 3) -> Explorer:
    """Explorer of the chapter *Robustness to mismatched pairs*.

    Controls: the mismatch probability eps, the number of pairs n, the noise
    of modality 1 (isotropic, heteroskedastic, structured) and whether the
    shared features are coherent. The view shows the subspace error of MMCL,
    unimodal contrastive learning and PCA (mean and spread over ``seeds``
    samples of the chapter's model, d = 100, r = 5). The errors of every
    setting are computed for the whole (n, eps) grid when the explorer is
    built (a few seconds, once per session), so every control only looks
    them up.

    Parameters
    ----------
    seeds : int
        Samples averaged per view.

    Returns
    -------
    Explorer

    Examples
    --------
    >>> import mmcl.widgets
    >>> explorer = mmcl.widgets.robustness()
    >>> data = explorer.compute(**{**explorer.defaults, "n": 500})
    >>> sorted(data["errors"])
    ['MMCL', 'PCA', 'unimodal CL']
    """
    import ipywidgets as w

    from .experiments import NOISE_TYPES

    controls = {
        "eps": w.SelectionSlider(options=list(ROBUSTNESS_EPSS), value=0.5, description="eps"),
        "n": w.SelectionSlider(options=list(ROBUSTNESS_NS), value=4000, description="n"),
        "noise": w.Dropdown(options=list(NOISE_TYPES), value="structured", description="noise"),
        "coherent": w.Checkbox(value=True, description="coherent U1"),
    }

    for noise in NOISE_TYPES:           # fill the cache: callbacks are lookups
        for coherent in (True, False):
            _robustness_table(noise, coherent, seeds)

    def compute(eps, n, noise, coherent):
        return _robustness_compute(eps, n, noise, coherent, seeds=seeds)

    return Explorer(compute, plots.robustness_bars, controls, figsize=(6.4, 3.6))


# --- Chapter: Incorporating unpaired data ---

def _unpaired_compute(snr: float, fraction: float, m: int, target_fdr: float, *, n: int = 40, d: int = 30,
                      r: int = 6, seed: int = 0) -> dict:
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    from .data import make_model
    from .metrics import detection_scores, sin_theta
    from .solvers import fit_svd
    from .unpaired import fit_with_pairs, fit_with_unpaired, sample_unpaired

    model = make_model(d, d, r, rng=seed, signal=snr, noise_sd=1.0)
    pairs = model.sample(n, rng=seed + 1)
    un = sample_unpaired(model, int(m), partner_fraction=fraction, rng=seed + 2)
    fit = fit_with_unpaired(pairs.X, pairs.Y, un.Xu, un.Yu, r, target_fdr=target_fdr, rounds=5)
    unit = lambda E: E / np.linalg.norm(E, axis=1, keepdims=True)
    C = unit((un.Xu - un.Xu.mean(0)) @ fit.G1.T) @ unit((un.Yu - un.Yu.mean(0)) @ fit.G2.T).T
    rows, cols = linear_sum_assignment(C, maximize=True)
    is_true = np.isin(rows * C.shape[1] + cols, un.truth[:, 0] * C.shape[1] + un.truth[:, 1])
    fits = (fit_svd(pairs.X, pairs.Y, r), fit, fit_with_pairs(pairs.X, pairs.Y, un.Xu, un.Yu, un.truth, r))
    precision, recall = detection_scores(fit.pairs, un.truth)
    return {"true_cos": C[rows, cols][is_true], "false_cos": C[rows, cols][~is_true], "theta": fit.theta,
            "precision": precision, "recall": recall, "errors": [sin_theta(f.G1.T, model.U1) for f in fits]}


@register("unpaired")
def unpaired() -> Explorer:
    """Explorer of the chapter *Incorporating unpaired data*: signal-to-noise,
    fraction of unpaired samples with a partner, m and the target FDR ->
    matched cosine similarities, precision/recall and sin-Theta."""
    import ipywidgets as w

    controls = {
        "snr": w.FloatLogSlider(value=16.0, base=10, min=0, max=2, step=0.05, description="SNR"),
        "fraction": w.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.05, description="with partner"),
        "m": w.IntSlider(value=100, min=20, max=300, step=10, description="m"),
        "target_fdr": w.FloatSlider(value=0.1, min=0.01, max=0.5, step=0.01, description="target FDR"),
    }
    return Explorer(_unpaired_compute, plots.unpaired_explorer_view, controls, figsize=(9.5, 3.6))
