"""Figures and explorer of the chapter `unpaired`."""

from __future__ import annotations

import numpy as np
from matplotlib import ticker

from ..experiments import regime_map as rmap
from ..widgets import Explorer, register, steady_limit
from .style import METHOD_COLORS, PALETTE, band, figure, log_ticks

__all__ = [
    "ROUTE_STYLES",
    "regime_map_figure",
    "detection_figure",
    "ceiling_figure",
    "paper_reproduction_figure",
    "explorer_view",
    "explorer",
]

#: Colour and line style of each route of the map (same in every figure of the chapter).
ROUTE_STYLES = {
    "pairs only": (METHOD_COLORS["SVD"], "-", "o"),
    "PCA on all": (METHOD_COLORS["PCA"], "-", "s"),
    "covariance only": (PALETTE[2], "--", "D"),
    "raw matching": (PALETTE[5], "-", "^"),
    "new default": (METHOD_COLORS["unpaired"], "-", "o"),
    "oracle raw": (PALETTE[7], ":", "x"),
    "oracle whitened": (PALETTE[7], "--", "+"),
}

_YARDSTICKS = {
    "loading": r"loading error $\|\sin\Theta(\Sigma_x G_1^\top, U_1)\|_F$",
    "unexplained": r"$1 - R^2$ of $z$ from $G_1 x$ (error)",
}


def _fixed_titles(fig):
    """Titles at the top of their axes without the automatic search for overlapping top ticks.

    These figures have no ticks on top, so the titles land where the search would put them;
    the search costs a layout pass over every tick label of every panel, at every draw.
    """
    for ax in fig.axes:
        if ax.get_title():
            ax.set_title(ax.get_title(), y=1.0)


def _log_y(ax):
    """Log y axis ticked at 1, 2 and 5 times powers of ten, labelled as plain numbers."""
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(ticker.LogLocator(subs=(2.0, 5.0)))
    plain = ticker.FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)


def regime_map_figure(result, *, yardstick: str = "loading"):
    """One panel per noise type and SNR: a yardstick against ``m`` for every route.

    ``result`` is a ``RegimeMap``; ``yardstick`` is ``"loading"`` (log y axis: the routes span
    two decades) or ``"unexplained"``. Bands are +/- one standard deviation over seeds.
    Introduced in the chapter `unpaired`.
    """
    values = getattr(result, yardstick)
    nn, ns = len(result.noises), result.snrs.size
    fig, ax = figure(ns, nn, width=3.3 * ns + 0.4, height=3.0 * nn + 0.9, sharex=True)
    for a, noise in enumerate(result.noises):
        for b, snr in enumerate(result.snrs):
            panel = ax[a, b]
            for k, name in enumerate(result.methods):
                color, ls, marker = ROUTE_STYLES[name]
                band(panel, result.ms, values[a, b, :, :, k].T, label=name, color=color, ls=ls,
                     marker=marker)  # fmt: skip
            log_ticks(panel, result.ms)
            if yardstick == "loading":
                _log_y(panel)
            panel.set(
                title=f"{noise} noise, SNR {snr:g}",
                xlabel="unpaired samples m per modality",
                ylabel=_YARDSTICKS[yardstick] if b == 0 else "error (same scale)",
            )
    handles, labels = ax[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4)
    _fixed_titles(fig)
    return fig


def detection_figure(result, calibration):
    """Detection by the two matching routes, and the false-discovery proportion of every run.

    Left: recall against ``m`` (structured and isotropic noise, SNR 8 and 32). Middle: the
    per-run false-discovery proportion of every run of the map that detected something, at the
    target 10 %. Right: per-run proportions against the target FDR (``calibration``, an
    ``FDRCalibration``), runs without detections left out. Introduced in the chapter `unpaired`.
    """
    fig, ax = figure(3, 1, width=12.0, height=3.8)
    left, middle, right = ax[0]
    for k, name in enumerate(rmap.MATCHING_METHODS):
        color = ROUTE_STYLES[name][0]
        for noise, snr, ls in (("isotropic", 8.0, ":"), ("structured", 32.0, "-")):
            if noise not in result.noises or snr not in result.snrs:
                continue
            a, b, _ = result.cell(noise, snr, int(result.ms[0]))
            band(left, result.ms, result.recall[a, b, :, :, k].T, color=color, ls=ls,
                 label=f"{name}, {noise}, SNR {snr:g}")  # fmt: skip
    log_ticks(left, result.ms)
    left.set(xlabel="unpaired samples m per modality", ylabel="recall", ylim=(-0.02, 1.02),
             title="hidden pairs found")  # fmt: skip
    # below the panels, legible at the page's width (the figure is 12 inches wide)
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncols=4)
    rng = np.random.default_rng(0)  # horizontal jitter of the dots only
    for k, name in enumerate(rmap.MATCHING_METHODS):
        found = result.detected[..., k] > 0
        fdp = result.fdp[..., k][found]
        middle.scatter(k + 0.25 * rng.uniform(-1, 1, fdp.size), fdp, s=10, alpha=0.6,
                       color=ROUTE_STYLES[name][0])  # fmt: skip
        if fdp.size:
            middle.plot([k - 0.3, k + 0.3], [fdp.mean()] * 2, color=PALETTE[7], lw=2)
    middle.axhline(0.1, color=PALETTE[7], ls="--", lw=1, label="target 10%")
    middle.set_xticks(range(2), rmap.MATCHING_METHODS)
    middle.set(xlim=(-0.6, 1.6), ylabel="false-discovery proportion of a run",
               xlabel="route (dots: runs of the map; bar: mean)",
               title="every run, not only the mean")  # fmt: skip
    middle.legend(loc="upper right")
    for t, target in enumerate(calibration.targets):
        found = calibration.detected[t] > 0
        x = target * (1 + 0.15 * rng.uniform(-1, 1, found.sum()))
        right.scatter(x, calibration.fdp[t][found], s=12, alpha=0.6, color=PALETTE[4])
        if found.any():
            right.plot(target, calibration.fdp[t][found].mean(), "_", ms=16, mew=2.5,
                       color=PALETTE[7])  # fmt: skip
    lim = [calibration.targets.min() * 0.7, calibration.targets.max() * 1.3]
    right.plot(lim, lim, color=PALETTE[7], lw=1, ls="--", label="achieved = target")
    log_ticks(right, calibration.targets)
    right.set(xlabel="target false-discovery rate", ylabel="false-discovery proportion of a run",
              title="calibration of the price")  # fmt: skip
    right.legend(loc="upper left")
    _fixed_titles(fig)
    return fig


def ceiling_figure(ceiling):
    """The best-match null rises with ``m``; the true-pair cosine does not (a ``MatchingCeiling``).

    Left: median best cosine among ``m`` unrelated candidates, and the median true-pair cosine
    per SNR. Right: the fraction of true pairs above the null. Introduced in the chapter
    `unpaired`.
    """
    fig, ax = figure(2, 1, width=9.0, height=3.3)
    left, right = ax[0]
    left.plot(ceiling.ms, ceiling.null_median, color=PALETTE[7], marker="o", ms=3,
              label="best of m unrelated (median)")  # fmt: skip
    for k, snr in enumerate(ceiling.snrs):
        left.axhline(ceiling.true_median[k], color=PALETTE[k], ls="--",
                     label=f"true pair, SNR {snr:g} (median)")  # fmt: skip
        right.plot(ceiling.ms, ceiling.ceiling[k], color=PALETTE[k], marker="o", ms=3,
                   label=f"SNR {snr:g}")  # fmt: skip
    for panel in (left, right):
        panel.set_xscale("log")
        panel.xaxis.set_minor_locator(ticker.NullLocator())  # decades only: m spans five
        panel.set_xlabel("candidates m")
    left.set(ylabel="cosine similarity", title="the null rises with m")
    right.set(ylabel="true pairs above the null", ylim=(-0.02, 1.02),
              title="recall ceiling of cosine matching")  # fmt: skip
    left.legend(loc="lower right", fontsize=8)
    right.legend(loc="lower left", fontsize=8)
    _fixed_titles(fig)
    return fig


def paper_reproduction_figure(result):
    """Top-1 retrieval accuracy against the number of unpaired samples (a ``PaperReproduction``).

    Introduced in the chapter `unpaired`.
    """
    fig, ax = figure(width=6.8, height=4.8)
    Ns = np.asarray(result.Ns)
    for key, label, color, ls in (
        ("paper", "paper's procedure (CLIP + AdamW)", METHOD_COLORS["CLIP"], "-"),
        ("raw_unpaired", "raw matching (plain algorithm)", ROUTE_STYLES["raw matching"][0], "-"),
        ("covariance_only", "covariance only", ROUTE_STYLES["covariance only"][0], "--"),
        ("svd_unpaired", "new default", ROUTE_STYLES["new default"][0], "-"),
    ):
        band(ax, Ns, getattr(result, key), label=label, color=color, ls=ls)
    for key, label, color, ls in (
        ("paper_pairs", "paper's procedure, pairs only", METHOD_COLORS["CLIP"], ":"),
        ("svd_pairs", "SVD, pairs only", METHOD_COLORS["SVD"], ":"),
        ("ceiling", r"ceiling (true $U_1, U_2$)", METHOD_COLORS["oracle"], "-"),
    ):
        ax.axhline(np.mean(getattr(result, key)), color=color, ls=ls, lw=1.2, label=label)
    ax.set(
        xlabel="number N of unpaired samples",
        ylabel="top-1 retrieval accuracy",
        title="reproducing Section 5.1 of the paper",
    )
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", fontsize=8, ncols=2)
    _fixed_titles(fig)
    return fig


def explorer_view(fig, data, params):
    """Draw the *unpaired* explorer; returns an in-place ``update(data, params)``.

    Left: the two yardsticks of every route; right: precision and recall of the two matching
    routes. Introduced in the chapter `unpaired`.
    """
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
    names = list(rmap.MAP_METHODS)
    x = np.arange(len(names))
    colors = [ROUTE_STYLES[n][0] for n in names]
    bars_l = ax1.bar(x - 0.2, data.loading, 0.4, color=colors, label="loading error")
    bars_u = ax1.bar(x + 0.2, data.unexplained, 0.4, color=colors, alpha=0.45, hatch="//",
                     label=r"$1-R^2$ of $z$")  # fmt: skip
    ax1.set_xticks(x, [n.replace(" ", "\n", 1) for n in names], fontsize=7)
    ax1.set(ylabel="error (lower is better)")
    ax1.legend(loc="upper right", fontsize=8)
    pr = np.column_stack([data.precision, data.recall])
    bars_d = [
        ax2.bar(np.arange(2) + 0.2 * (2 * j - 1), pr[:, j], 0.4,
                color=[ROUTE_STYLES[n][0] for n in rmap.MATCHING_METHODS],
                alpha=1.0 if j == 0 else 0.45, hatch=None if j == 0 else "//",
                label=("precision", "recall")[j])
        for j in range(2)
    ]  # fmt: skip
    ax2.set_xticks(range(2), [n.replace(" ", "\n") for n in rmap.MATCHING_METHODS], fontsize=8)
    ax2.set(ylim=(0, 1.3), ylabel="detection score")
    ax2.legend(loc="upper center", fontsize=8, ncols=2)

    def update(data, params):
        for bars, values in ((bars_l, data.loading), (bars_u, data.unexplained)):
            for bar, v in zip(bars, values):
                bar.set_height(v)
        for j, bars in enumerate(bars_d):
            for bar, v in zip(bars, (data.precision, data.recall)[j]):
                bar.set_height(v)
        top = max(np.max(data.loading), np.max(data.unexplained))
        ax1.set_ylim(0, steady_limit(1.15 * top))
        ax1.set_title(f"{params['noise']} noise, SNR {params['snr']:.3g}, m = {params['m']}: "
                      f"{data.spikes} spikes", fontsize=9)  # fmt: skip
        ax2.set_title(f"target FDR {params['target_fdr']:.2f}", fontsize=9)

    update(data, params)
    return update


@register("unpaired")
def explorer(*, rng=0) -> Explorer:
    """Explorer of the chapter `unpaired`.

    Controls: noise type, signal-to-noise ratio, fraction of unpaired samples with a partner,
    m and the target FDR; the view
    (``explorer_view``) shows the two yardsticks of every route of the regime map and the
    detection scores of the two matching routes
    (:func:`mmcl.experiments.regime_map.explorer_view`; n = 40, d = 30, r = 6).

    Parameters
    ----------
    rng : int
        Seed of the problem drawn at every setting.

    Returns
    -------
    Explorer

    Examples
    --------
    >>> from mmcl.figures import unpaired
    >>> explorer = unpaired.explorer()
    >>> explorer.compute(**{**explorer.defaults, "m": 40}).loading.shape
    (7,)
    """
    import ipywidgets as w

    controls = {
        "noise": w.Dropdown(options=list(rmap.NOISES), value="structured", description="noise"),
        "snr": w.FloatLogSlider(value=16.0, base=10, min=0, max=1.8, step=0.05, description="SNR"),
        "fraction": w.FloatSlider(
            value=0.5, min=0.0, max=1.0, step=0.05, description="with partner"
        ),
        "m": w.IntSlider(value=200, min=40, max=300, step=20, description="m"),
        "target_fdr": w.FloatSlider(
            value=0.1, min=0.02, max=0.4, step=0.01, description="target FDR"
        ),
    }

    def compute(noise, snr, fraction, m, target_fdr):
        return rmap.explorer_view(
            noise=noise, snr=snr, fraction=fraction, m=m, target_fdr=target_fdr, rng=rng
        )

    return Explorer(compute, explorer_view, controls, figsize=(10.0, 3.8))
