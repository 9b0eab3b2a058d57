"""Figure of the threshold study of the chapter `loss_to_svd` (the book's own result)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

from ..experiments.loss_to_svd_threshold import SelectionThresholds
from .style import PALETTE, figure

__all__ = ["threshold_spread"]


def threshold_spread(thresholds, labels):
    """The selection threshold of several data sets in four units, and its trend.

    Left: for each unit, the threshold of each data set divided by the
    geometric mean over the data sets (log scale; bars: the final bracket),
    with the spread max/min. Right: the threshold in units of the noise scale
    against the top signal-to-noise ratio. Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    thresholds : SelectionThresholds
        From :func:`mmcl.experiments.loss_to_svd_threshold.selection_thresholds`.
    labels : sequence of str, length C
        One label per data set.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(thresholds, SelectionThresholds):
        raise TypeError(f"thresholds must be SelectionThresholds; got {type(thresholds).__name__}")
    t = thresholds
    units = {
        r"$\tau\rho^*$ (data units)": 1.0,
        r"$\tau\rho^*/\sigma_1^2$": t.signal_scale,
        r"$\tau\rho^*/(\sigma_1\sigma_{r+1})$": t.gap_scale,
        r"$\tau\rho^*/(\nu_x\nu_y)$": t.noise_scale,
    }
    fig, axes = figure(2, 1, width=9.0, height=3.6, gridspec_kw={"width_ratios": [1.4, 1.0]})
    ax1, ax2 = axes.ravel()
    markers = "osD^vP*X"
    for row, unit in enumerate(units.values()):
        value = t.tau_rho / unit
        mid = np.exp(np.mean(np.log(value)))
        for c, label in enumerate(labels):
            lo, hi = t.bracket[c] / np.broadcast_to(unit, t.tau_rho.shape)[c] / mid
            ax1.errorbar(
                value[c] / mid,
                row + 0.1 * (c - (len(labels) - 1) / 2),
                xerr=[[value[c] / mid - lo], [hi - value[c] / mid]],
                fmt=markers[c % len(markers)],
                color=PALETTE[c % len(PALETTE)],
                ms=5,
                label=label if row == 0 else None,
            )
        ax1.text(
            1.02,
            row,
            rf"$\times${value.max() / value.min():.1f}",
            transform=ax1.get_yaxis_transform(),
            va="center",
        )
    ax1.set_xscale("log")
    ax1.set_yticks(np.arange(len(units)), list(units))
    ax1.set_ylim(len(units) - 0.5, -0.5)
    ax1.set(
        xlabel="threshold / its geometric mean over the data sets", title="Spread of the threshold"
    )
    x = t.tau_rho / t.noise_scale
    for c in range(len(labels)):
        lo, hi = t.bracket[c] / t.noise_scale[c]
        ax2.errorbar(
            t.snr[c],
            x[c],
            yerr=[[x[c] - lo], [hi - x[c]]],
            fmt=markers[c % len(markers)],
            color=PALETTE[c % len(PALETTE)],
            ms=5,
        )
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    plain = mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}")
    for axis in (ax2.xaxis, ax2.yaxis):
        axis.set_major_locator(mpl.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(mpl.ticker.NullFormatter())
    ax2.set(
        xlabel=r"top signal-to-noise ratio $\lambda_{\max}(\hat\Sigma_x)/\nu_x$",
        ylabel=r"$\tau\rho^*/(\nu_x\nu_y)$",
        title="What is left of the spread",
    )
    fig.legend(loc="outside lower center", ncol=min(len(labels), 3))
    return fig
