"""Figures and explorer of the chapter `loss_zoo`."""

from __future__ import annotations

import numpy as np

from .._checks import as_generator
from ..experiments.loss_zoo_fits import SideBySide
from ..experiments.sampling import sample_batch
from ..losses import (
    clip_loss,
    dcl_loss,
    infonce_loss,
    linear_loss,
    siglip_loss,
    spectral_loss,
)
from ..metrics import sin_theta
from ..solvers import fit_svd
from ..widgets import Explorer, register, steady_range
from .style import PALETTE, band, figure, log_ticks

__all__ = [
    "LOSS_COLORS",
    "weight_profiles",
    "spectral_path",
    "selection_paths",
    "side_by_side",
    "error_vs_n",
    "explorer",
]

#: One colour per loss (and per closed form) in every figure of the chapter.
LOSS_COLORS = {
    "linear (PLS-SVD)": PALETTE[0],
    "linear": PALETTE[0],
    "CLIP": PALETTE[1],
    "InfoNCE": PALETTE[4],
    "SigLIP": PALETTE[2],
    "spectral": PALETTE[3],
    "CCA": PALETTE[3],
    "DCL": PALETTE[5],
    "VSE++": PALETTE[7],
    "PCA": "#999999",
}


def weight_profiles(K, weights: dict, *, rows: int = 10):
    """Each loss's weights against the logits at one ``K``: how it spends weight.

    Left: off-diagonal weights ``n(n-1) beta_ij`` (1 = the linear loss) against
    the margin ``K_ij - K_ii`` of the negative over its positive (symmetric-log
    scale). Right: positive weights ``n beta_ii`` against ``K_ii``. Introduced in
    the chapter `loss_zoo`.

    Parameters
    ----------
    K : array, shape (n, n)
    weights : dict
        Loss name -> weights ``beta`` (n x n) at ``K``.
    rows : int
        Negatives of the first ``rows`` anchors are drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    K = np.asarray(K, dtype=float)
    n = K.shape[0]
    m = min(rows, n)
    off = ~np.eye(n, dtype=bool)[:m]
    margin = (K[:m] - np.diag(K)[:m, None])[off]
    fig, axes = figure(2, 1, width=9.0, height=3.6)
    ax1, ax2 = axes[0]
    for name, beta in weights.items():
        color = LOSS_COLORS.get(name.split(" (")[0])
        ax1.scatter(margin, n * (n - 1) * beta[:m][off], s=5, alpha=0.6, color=color, label=name)
        ax2.scatter(np.diag(K), n * np.diag(beta), s=7, alpha=0.7, color=color, label=name)
    ax1.set_yscale("symlog", linthresh=1e-2)
    ax1.set(
        xlabel=r"margin of the negative $K_{ij} - K_{ii}$",
        ylabel=r"$n(n-1)\,\beta_{ij}$ (1 = linear loss)",
        title="Negatives",
    )
    ax2.set(xlabel=r"logit of the positive $K_{ii}$", ylabel=r"$n\,\beta_{ii}$", title="Positives")
    ax2.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), markerscale=2.5)
    return fig


def spectral_path(rhos, to_cca, to_pls):
    """The spectral minimiser as ``rho`` grows: from CCA to PLS-SVD.

    Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    rhos : array, shape (m,)
        Positive regulariser weights (``rho = 0`` is drawn at the left edge).
    to_cca, to_pls : array, shape (seeds, m)
        ``||sin Theta||_F`` of the minimiser's ``G1`` to CCA and to PLS-SVD.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = figure(1, 1, width=5.2, height=3.4)
    band(ax, rhos, to_cca, label="to CCA", color=LOSS_COLORS["CCA"])
    band(ax, rhos, to_pls, label="to PLS-SVD", color=LOSS_COLORS["linear"])
    ax.set_xscale("symlog", linthresh=float(np.min(np.asarray(rhos)[np.asarray(rhos) > 0])))
    ax.set(
        xlabel=r"regulariser weight $\rho$",
        ylabel=r"$\|\sin\Theta\|_F$ (error: lower = closer)",
        title="Spectral loss: from CCA to PLS-SVD",
    )
    ax.legend(loc="center right")
    return fig


def selection_paths(paths: dict, *, baseline: float):
    """Which triples the nonlinear losses select as their regularisation grows.

    Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    paths : dict
        Label -> ``(x, selected, error)``: dimensionless regularisation (m,),
        selected triples (m, r) (0 = largest) and the subspace error (m,).
    baseline : float
        Subspace error of PLS-SVD, drawn as a dashed line.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = figure(2, 1, width=9.0, height=3.4)
    ax1, ax2 = axes[0]
    for i, (label, (x, selected, error)) in enumerate(paths.items()):
        color = PALETTE[(i + 1) % len(PALETTE)]
        ax1.plot(x, np.asarray(selected).mean(axis=1) + 1, marker="o", color=color, label=label)
        ax2.plot(x, error, marker="o", color=color, label=label)
    r = np.asarray(next(iter(paths.values()))[1]).shape[1]
    ax1.axhline((r + 1) / 2, color="0.4", ls=":", lw=1)
    ax2.axhline(baseline, color=LOSS_COLORS["linear"], ls="--", lw=1.2, label="PLS-SVD")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xlabel(r"dimensionless regularisation ($\tau\rho$ or $\rho/t^2$)")
    ax1.set(ylabel="mean selected index (1 = top)", title="Selected singular triples")
    ax1.invert_yaxis()
    ax2.set(ylabel=r"$\|\sin\Theta(G_1^\top, U_1)\|_F$ (error)", title="Subspace error")
    ax2.legend(loc="upper right")
    return fig


def _method_bands(ax, x, values, methods, keep):
    for m, name in enumerate(methods):
        if name in keep:
            band(ax, x, values[:, :, m], label=name, color=LOSS_COLORS[name])


def side_by_side(outs: dict, *, methods=None):
    """Subspace error (top) and latent ``1 - R^2`` (bottom) against ``eps``, one column per
    noise setting, bands over seeds.

    Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    outs : dict
        Noise label -> :class:`~mmcl.experiments.loss_zoo.SideBySide`.
    methods : sequence of str, optional
        Methods to draw (default all).

    Returns
    -------
    matplotlib.figure.Figure
    """
    first = next(iter(outs.values()))
    if not isinstance(first, SideBySide):
        raise TypeError("outs must map noise labels to SideBySide results")
    keep = set(first.methods if methods is None else methods)
    fig, axes = figure(len(outs), 2, width=3.3 * len(outs) + 1.8, height=5.6, sharex=True)
    for c, (label, out) in enumerate(outs.items()):
        _method_bands(axes[0, c], out.epss, out.error, out.methods, keep)
        _method_bands(axes[1, c], out.epss, out.unexplained, out.methods, keep)
        axes[0, c].set_title(f"{label} noise")
        axes[1, c].set_xlabel(r"mismatch $\varepsilon$")
    axes[0, 0].set_ylabel(r"$\|\sin\Theta(G_1^\top, U_1)\|_F$ (error)")
    axes[1, 0].set_ylabel(r"latent $1 - R^2$ (error)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center")
    return fig


def error_vs_n(ns, error, unexplained, *, methods, show=None):
    """Subspace error and latent ``1 - R^2`` against the number of pairs at one ``eps``.

    Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    ns : array, shape (N,)
    error, unexplained : array, shape (seeds, N, M)
        As in :class:`~mmcl.experiments.loss_zoo_fits.SideBySide`, one column per ``n``.
    methods : sequence of str, length M
    show : sequence of str, optional
        Methods to draw (default all).

    Returns
    -------
    matplotlib.figure.Figure
    """
    keep = set(methods if show is None else show)
    ns = np.asarray(ns)
    fig, axes = figure(2, 1, width=9.0, height=3.4)
    ax1, ax2 = axes[0]
    _method_bands(ax1, ns, np.asarray(error), methods, keep)
    _method_bands(ax2, ns, np.asarray(unexplained), methods, keep)
    for ax in (ax1, ax2):
        log_ticks(ax, ns)
        ax.set_xlabel("pairs n")
    ax1.set(ylabel=r"$\|\sin\Theta(G_1^\top, U_1)\|_F$ (error)", title="Subspace of the weights")
    ax2.set(ylabel=r"latent $1 - R^2$ (error)", title="Prediction of the latent")
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center")
    return fig


#: Losses of the explorer: name -> factory of the temperature ``tau``.
EXPLORER_LOSSES = {
    "InfoNCE": lambda tau, n: infonce_loss(tau=tau),
    "CLIP": lambda tau, n: clip_loss(tau=tau),
    "SigLIP": lambda tau, n: siglip_loss(t=1.0 / tau, b=-np.log(n - 1.0)),
    "DCL": lambda tau, n: dcl_loss(tau=tau),
    "spectral": lambda tau, n: spectral_loss(),
    "linear": lambda tau, n: linear_loss(),
}
EXPLORER_EPSS = tuple(np.round(np.arange(0.0, 0.81, 0.1), 1))


@register("loss_zoo")
def explorer(model=None, *, n: int = 200, rng=0) -> Explorer:
    """Explorer of the chapter `loss_zoo`: how a loss weighs the pairs of a mismatched sample.

    Controls: the loss, its temperature ``tau`` (SigLIP: ``t = 1/tau`` with the
    balanced bias ``b = -log(n - 1)``), the mismatch ``eps``. At the PLS-SVD
    encoders of the sample (``rho = 1``), the view shows the positive weights
    ``n beta_ii`` of correct and wrong pairs against their logits, and the
    spectrum of the loss's ``S(beta)`` with the subspace error of its top-r
    left singular vectors (where one SVD step on this loss would go).
    Introduced in the chapter `loss_zoo`.

    Parameters
    ----------
    model : TwoModalityModel, optional
        Default: the robustness model with structured noise, ``d = 10``, ``r = 2``.
    n : int
        Pairs per sample.
    rng : numpy.random.Generator or int

    Returns
    -------
    Explorer

    Examples
    --------
    >>> from mmcl.figures import loss_zoo
    >>> explorer = loss_zoo.explorer(n=60)
    >>> sorted(explorer.compute(**explorer.defaults))
    ['K', 'beta', 'error', 'linear_error', 'singular_values', 'wrong', 'wrong_ratio']
    """
    import ipywidgets as w

    from ..experiments.robustness import robustness_model

    rng = as_generator(rng)
    if model is None:
        model = robustness_model("structured", False, d=10, r=2, rng=rng, signal=4.0)
    batch = sample_batch(model, 1, n, rng=rng)
    samples = {}
    for eps in EXPLORER_EPSS:
        X, Y = batch.X[0], batch.Y(model, eps)[0]
        X, Y = X - X.mean(0), Y - Y.mean(0)
        fit = fit_svd(X, Y, model.r, rho=1.0)
        samples[eps] = (X, Y, fit, batch.u[0] < eps)

    def compute(loss, tau, eps):
        X, Y, fit, wrong = samples[float(eps)]
        f = EXPLORER_LOSSES[loss](tau, n)
        beta = f.weights(fit.G1, fit.G2, X, Y)
        S = f.cross_covariance(fit.G1, fit.G2, X, Y)
        U, s, _ = np.linalg.svd(S)
        pos = np.diag(beta)
        ratio = pos[wrong].mean() / pos[~wrong].mean() if wrong.any() else np.nan
        return {
            "K": X @ fit.G1.T @ fit.G2 @ Y.T,
            "beta": beta,
            "wrong": wrong,
            "wrong_ratio": ratio,
            "singular_values": s / s[0],
            "error": sin_theta(U[:, : model.r], model.U1),
            "linear_error": sin_theta(fit.G1.T, model.U1),
        }

    def draw(fig, data, params):
        ax1, ax2 = fig.subplots(1, 2)
        k, pos = np.diag(data["K"]), len(data["K"]) * np.diag(data["beta"])
        right = ax1.scatter(k, pos, s=9, color=PALETTE[0], label="correct pairs")
        wrong = ax1.scatter(k, pos, s=12, color=PALETTE[3], marker="x", label="wrong pairs")
        ax1.set(xlabel=r"logit of the pair $K_{ii}$", ylabel=r"positive weight $n\,\beta_{ii}$")
        ax1.legend(loc="upper right")
        bars = ax2.bar(np.arange(1, data["singular_values"].size + 1), data["singular_values"])
        ax2.set(xlabel="index k", ylabel=r"$\sigma_k / \sigma_1$ of $S(\beta)$", ylim=(0, 1.05))
        title = fig.suptitle("")

        def update(data, params):
            k, pos = np.diag(data["K"]), len(data["K"]) * np.diag(data["beta"])
            right.set_offsets(np.c_[k, pos][~data["wrong"]])
            wrong.set_offsets(
                np.c_[k, pos][data["wrong"]] if data["wrong"].any() else np.empty((0, 2))
            )
            lo, hi = min(pos.min(), 0.0), max(pos.max(), 1e-12)
            ax1.set_xlim(*steady_range(k.min() - 0.5, k.max() + 0.5))
            ax1.set_ylim(*steady_range(lo - 0.05 * (hi - lo), hi + 0.1 * (hi - lo)))
            for bar, h in zip(bars, data["singular_values"]):
                bar.set_height(h)
                bar.set_color(PALETTE[1] if bar.get_x() < model.r else PALETTE[0])
            ratio = data["wrong_ratio"]
            title.set_text(
                f"{params['loss']}, tau = {params['tau']:g}, eps = {params['eps']:g}: "
                f"wrong/correct positive weight {ratio:.2f}; top-{model.r} of S(beta) to U1: "
                f"sin Theta {data['error']:.2f} (PLS-SVD {data['linear_error']:.2f})"
            )

        update(data, params)
        return update

    taus = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0]
    controls = {
        "loss": w.Dropdown(options=list(EXPLORER_LOSSES), value="SigLIP", description="loss"),
        "tau": w.SelectionSlider(
            options=[(f"{t:g}", t) for t in taus], value=0.5, description="tau"
        ),
        "eps": w.SelectionSlider(
            options=[(f"{e:g}", e) for e in EXPLORER_EPSS], value=0.4, description="eps"
        ),
    }
    return Explorer(compute, draw, controls, figsize=(10.0, 3.8))
