"""Figures and explorer of the chapter `unpaired`."""

from __future__ import annotations

import numpy as np

from ..experiments import unpaired_gain as gain
from ..widgets import Explorer, register
from .style import METHOD_COLORS, PALETTE, band, figure, log_ticks

__all__ = [
    "detection_figure",
    "unpaired_gain_figure",
    "paper_reproduction_figure",
    "explorer_view",
    "explorer",
]


def detection_figure(det, calibration, *, snr_index: int):
    """Detection of hidden pairs: against the signal-to-noise ratio, against the
    rounds (at ``det.snrs[snr_index]``, first fraction), and the false-discovery
    proportion achieved against the target.

    ``det`` is a ``DetectionSweep``, ``calibration`` an ``FDRCalibration``.

    Introduced in the chapter `unpaired`.
    """
    snrs, precision, recall, fractions = det.snrs, det.precision, det.recall, det.fractions
    round_precision = det.round_precision[0, snr_index]
    round_recall = det.round_recall[0, snr_index]
    targets, achieved = calibration.targets, calibration.fdp
    fig, ax = figure(3, 1, width=11.5, height=3.3)
    styles = ["-", "--"]
    for a, f in enumerate(fractions):
        band(
            ax[0, 0],
            snrs,
            precision[a].T,
            label=f"precision, {f:.0%} with partner",
            color=PALETTE[0],
            ls=styles[a],
        )
        band(
            ax[0, 0],
            snrs,
            recall[a].T,
            label=f"recall, {f:.0%} with partner",
            color=PALETTE[1],
            ls=styles[a],
        )
        band(
            ax[0, 2],
            targets,
            achieved[a].T,
            label=f"{f:.0%} with partner",
            color=PALETTE[2 + a],
            ls=styles[a],
        )
    log_ticks(ax[0, 0], snrs)
    ax[0, 0].set(
        xlabel="signal-to-noise ratio (latent variance / noise variance)",
        ylabel="score",
        title="detection against signal-to-noise",
    )
    rounds = np.arange(round_precision.shape[1])
    band(ax[0, 1], rounds[1:], round_precision[:, 1:], label="precision", color=PALETTE[0])
    band(ax[0, 1], rounds[1:], round_recall[:, 1:], label="recall", color=PALETTE[1])
    ax[0, 1].set(xlabel="round", ylabel="score", title="detection against rounds")
    ax[0, 2].plot(targets, targets, color=PALETTE[7], lw=1, label="achieved = target")
    ax[0, 2].set(
        xlabel="target false-discovery rate",
        ylabel="achieved false-discovery proportion",
        title="calibration of the price",
    )
    for a_ in ax[0]:
        a_.legend(loc="best")
    return fig


def unpaired_gain_figure(gain):
    """sin-Theta against the number of unpaired samples for three methods (an ``UnpairedGain``).

    Introduced in the chapter `unpaired`.
    """
    ms, pairs_only, algorithm, oracle = gain.ms, gain.pairs_only, gain.algorithm, gain.oracle
    fig, ax = figure()
    band(ax, ms, pairs_only, label="pairs only (SVD)", color=METHOD_COLORS["SVD"])
    band(ax, ms, algorithm, label="pairs + detected pairs", color=METHOD_COLORS["unpaired"])
    band(ax, ms, oracle, label="oracle (true pairs known)", color=METHOD_COLORS["oracle"])
    log_ticks(ax, ms)
    ax.set(
        xlabel="number m of unpaired samples per modality",
        ylabel=r"$\|\sin\Theta(G_1^\top, U_1)\|_F$",
        title="what unpaired data buy",
    )
    ax.legend()
    return fig


def paper_reproduction_figure(result):
    """Top-1 retrieval accuracy against the number of unpaired samples (a ``PaperReproduction``).

    Introduced in the chapter `unpaired`.
    """
    fig, ax = figure()
    Ns = np.asarray(result.Ns)
    band(
        ax, Ns, result.paper, label="paper's procedure (CLIP + AdamW)", color=METHOD_COLORS["CLIP"]
    )
    band(
        ax, Ns, result.svd_unpaired, label="SVD with unpaired data", color=METHOD_COLORS["unpaired"]
    )
    for key, label, color, ls in (
        ("paper_pairs", "paper's procedure, pairs only", METHOD_COLORS["CLIP"], ":"),
        ("svd_pairs", "SVD, pairs only", METHOD_COLORS["SVD"], "--"),
        ("ceiling", r"ceiling (true $U_1, U_2$)", METHOD_COLORS["oracle"], "-"),
    ):
        ax.axhline(np.mean(getattr(result, key)), color=color, ls=ls, lw=1.2, label=label)
    ax.set(
        xlabel="number N of unpaired samples",
        ylabel="top-1 retrieval accuracy",
        title="reproducing Section 5.1 of the paper",
    )
    ax.legend(loc="lower right", fontsize=8)
    return fig


def explorer_view(fig, data, params):
    """Draw the *unpaired* explorer: cosine similarities of matched pairs and scores.

    Introduced in the chapter `unpaired`.
    """
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    lo = min(np.min(data.true_cos, initial=1.0), np.min(data.false_cos, initial=1.0))
    bins = np.linspace(min(lo, 0.9), 1.0, 31)
    ax1.hist(data.true_cos, bins=bins, color=PALETTE[0], alpha=0.7, label="matched, true pair")
    ax1.hist(data.false_cos, bins=bins, color=PALETTE[3], alpha=0.7, label="matched, not a pair")
    if np.isfinite(data.theta):
        ax1.axvline(data.theta, color=PALETTE[7], ls="--", label=r"price $\theta$")
    ax1.set(
        xlabel="cosine similarity (last round)",
        ylabel="assigned pairs",
        title=f"precision {data.precision:.2f}, recall {data.recall:.2f}",
    )
    ax1.legend(loc="upper left", fontsize=8)
    names = ["pairs only", "with unpaired", "oracle"]
    colors = [METHOD_COLORS["SVD"], METHOD_COLORS["unpaired"], METHOD_COLORS["oracle"]]
    ax2.bar(names, data.errors, color=colors)
    ax2.set(ylabel=r"$\|\sin\Theta(G_1^\top, U_1)\|_F$", title="subspace error")
    ax2.tick_params(axis="x", labelsize=8)


@register("unpaired")
def explorer(*, rng=0) -> Explorer:
    """Explorer of the chapter `unpaired`.

    Controls: signal-to-noise ratio, fraction of unpaired samples with a
    partner, m and the target FDR; the view (``explorer_view``) shows
    the matched cosine similarities, precision and recall, and the subspace
    errors of pairs only, the algorithm and the oracle
    (:func:`mmcl.experiments.unpaired_gain.explorer_view`).

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
    >>> explorer.compute(**{**explorer.defaults, "m": 30}).errors.shape
    (3,)
    """
    import ipywidgets as w

    controls = {
        "snr": w.FloatLogSlider(value=16.0, base=10, min=0, max=2, step=0.05, description="SNR"),
        "fraction": w.FloatSlider(
            value=1.0, min=0.0, max=1.0, step=0.05, description="with partner"
        ),
        "m": w.IntSlider(value=100, min=20, max=300, step=10, description="m"),
        "target_fdr": w.FloatSlider(
            value=0.1, min=0.01, max=0.5, step=0.01, description="target FDR"
        ),
    }

    def compute(snr, fraction, m, target_fdr):
        return gain.explorer_view(snr=snr, fraction=fraction, m=m, target_fdr=target_fdr, rng=rng)

    return Explorer(compute, explorer_view, controls, figsize=(9.5, 3.6))
