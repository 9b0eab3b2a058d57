"""Figures and explorer of the chapter `multiview`."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from ..experiments.multiview_cleaning import real_cleaning
from ..widgets import Explorer, register
from .style import METHOD_COLORS, PALETTE, band, figure

__all__ = [
    "ERROR_LABEL",
    "cleaning_errors",
    "score_histograms",
    "rate_check",
    "view_benchmark_figure",
    "real_cleaning_figure",
    "real_unpaired_figure",
    "explorer_view",
    "explorer",
]

#: The y label of every subspace-error axis of the chapter.
ERROR_LABEL = r"subspace error $\|\sin\Theta(G_1^\top, U_1)\|_F$" + "\n(lower is better)"

_ROUTE_COLORS = {
    "keep all": METHOD_COLORS["MMCL"],
    "weighted": PALETTE[2],
    "filtered": PALETTE[4],
    "oracle": METHOD_COLORS["oracle"],
}


def _nan_stat(stat, values, axis=0):
    """``np.nanmean``/``np.nanstd`` that return nan for all-nan slices without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return stat(values, axis=axis)


def cleaning_errors(sweep, *, target_index: int = 1):
    """Subspace error against eps for keep-all, the hard filters, the weighted fit and the
    oracle, one panel per signal (a ``CleaningSweep``); the filter at ``targets[target_index]``
    is drawn solid, the others thin.

    Introduced in the chapter `multiview`.
    """
    k = len(sweep.signals)
    fig, axes = figure(k, width=3.1 * k + 0.6, height=3.4, sharey=True)
    for j, (ax, signal) in enumerate(zip(np.ravel(axes), sweep.signals)):
        band(
            ax, sweep.epss, sweep.keep_all[:, j], label="keep all", color=_ROUTE_COLORS["keep all"]
        )
        for q, target in enumerate(sweep.targets):
            # a mean only where every seed kept more than r pairs (else no fit exists)
            ax.plot(
                sweep.epss,
                sweep.filtered[:, j, :, q].mean(axis=0),
                color=_ROUTE_COLORS["filtered"],
                lw=1.6 if q == target_index else 0.9,
                ls="-" if q == target_index else ":",
                label=f"hard filter, FDR {target:.0%}" if q == target_index else None,
            )
        band(
            ax, sweep.epss, sweep.weighted[:, j], label="weighted", color=_ROUTE_COLORS["weighted"]
        )
        band(ax, sweep.epss, sweep.oracle[:, j], label="oracle", color=_ROUTE_COLORS["oracle"])
        ax.set(
            xlabel=r"fraction of wrong pairs $\varepsilon$",
            ylabel=ERROR_LABEL,
            title=f"signal-to-noise {signal:g}",
        )
    np.ravel(axes)[0].legend(loc="upper left", fontsize=8)
    return fig


def score_histograms(fit, matched, *, rounds=(0, -1)):
    """Cross-fitted scores of true and wrong pairs, with the shuffled-pair null scaled to
    ``pi0 n``, one panel per round of a ``CleanFit``.

    Introduced in the chapter `multiview`.
    """
    matched = np.asarray(matched, dtype=bool)
    fig, axes = figure(len(rounds), width=3.6 * len(rounds) + 0.4, height=3.2, sharey=True)
    total = fit.scores.shape[0]
    lo = min(fit.scores.min(), fit.null_scores.min())
    bins = np.linspace(lo, fit.scores.max(), 41)
    for ax, t in zip(np.ravel(axes), rounds):
        scores = fit.scores[t]
        ax.hist(
            [scores[matched], scores[~matched]],
            bins=bins,
            stacked=True,
            color=[PALETTE[0], PALETTE[3]],
            alpha=0.75,
            label=["true pairs", "wrong pairs"],
        )
        null, _ = np.histogram(fit.null_scores[t], bins=bins)
        scale = fit.pi0[t] * scores.size / fit.null_scores[t].size
        ax.stairs(
            null * scale,
            bins,
            color=PALETTE[7],
            lw=1.5,
            label=r"shuffled null $\times\,\hat\pi_0 n$",
        )
        ax.set(
            xlabel="cosine score of a pair (cross-fitted)",
            ylabel="pairs",
            title=f"round {t % total + 1}: " + rf"$\hat\pi_0 = {fit.pi0[t]:.2f}$",
        )
    np.ravel(axes)[0].legend(loc="upper left", fontsize=8)
    return fig


def rate_check(sweep, *, signal_index: int = -1):
    """The robustness chapter's laws: keep-all error times (1 - eps), and oracle and weighted
    errors times sqrt(1 - eps), each divided by the error at eps = 0 (flat at 1 where the law
    holds), at ``signals[signal_index]``.

    Introduced in the chapter `multiview`.
    """
    j = signal_index
    eps = sweep.epss
    base = sweep.keep_all[:, j, :1]
    fig, axes = figure(2, width=8.6, height=3.2, sharey=True)
    a, b = np.ravel(axes)
    band(
        a,
        eps,
        sweep.keep_all[:, j] * (1 - eps) / base,
        label=r"keep all $\times(1-\varepsilon)$",
        color=_ROUTE_COLORS["keep all"],
    )
    band(
        a,
        eps,
        sweep.keep_all[:, j] * np.sqrt(1 - eps) / base,
        label=r"keep all $\times\sqrt{1-\varepsilon}$",
        color=_ROUTE_COLORS["keep all"],
        ls=":",
    )
    for name, values in (("oracle", sweep.oracle), ("weighted", sweep.weighted)):
        band(
            b,
            eps,
            values[:, j] * np.sqrt(1 - eps) / base,
            label=rf"{name} $\times\sqrt{{1-\varepsilon}}$",
            color=_ROUTE_COLORS[name],
        )
    for ax, title in ((a, "keep all"), (b, "cleaned and oracle")):
        ax.axhline(1.0, color=PALETTE[7], lw=0.8, ls="--")
        ax.set(xlabel=r"fraction of wrong pairs $\varepsilon$", title=title)
        ax.set_ylabel("rescaled error / error at " + r"$\varepsilon = 0$")
        ax.legend(loc="lower left", fontsize=8)
    return fig


def _grouped_bars(ax, values, labels, colors, groups):
    """Bars of ``values`` (splits, G, M) grouped by G with one colour per M, +/- one sd."""
    G, M = values.shape[1:]
    width = 0.8 / M
    for m in range(M):
        mean, sd = _nan_stat(np.nanmean, values[:, :, m]), _nan_stat(np.nanstd, values[:, :, m])
        if np.isnan(mean).all():
            continue
        x = np.arange(G) - 0.4 + width * (m + 0.5)
        ax.bar(x, mean, width, yerr=sd, color=colors[m], label=labels[m], capsize=2)
    ax.set_xticks(np.arange(G))
    ax.set_xticklabels(groups)


_METHOD_COLORS = [
    PALETTE[0],
    PALETTE[5],
    PALETTE[2],
    METHOD_COLORS["CLIP"],
    PALETTE[4],
    METHOD_COLORS["PCA"],
    PALETTE[7],
]


def view_benchmark_figure(bench):
    """Retrieval, same-digit retrieval and probe accuracy of every method on every view pair (a
    ``ViewBenchmark``), mean and one standard deviation over splits.

    Introduced in the chapter `multiview`.
    """
    fig, axes = figure(3, width=10.0, height=3.8)
    groups = [f"{a} → {b}" for a, b in bench.pairs]
    panels = (
        (bench.retrieval, "top-1 retrieval of the partner", "partner retrieval"),
        (bench.same_class, "retrieved digit has the same label", "same-digit retrieval"),
        (bench.probe, "linear-probe accuracy (modality 1)", "linear probe"),
    )
    for ax, (values, ylabel, title) in zip(np.ravel(axes), panels):
        _grouped_bars(ax, values, bench.methods, _METHOD_COLORS, groups)
        ax.set(ylabel=ylabel, title=title, ylim=(0, 1.05), xlabel="view pair")
    np.ravel(axes)[0].axhline(bench.chance, color=PALETTE[7], lw=0.8, ls=":")
    np.ravel(axes)[1].axhline(0.1, color=PALETTE[7], lw=0.8, ls=":")
    handles, labels = np.ravel(axes)[2].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8)
    return fig


def real_cleaning_figure(real, *, encoder_styles=(("cca", "-"), ("pls", "--"))):
    """Test retrieval against the fraction of shuffled training pairs, one panel per view pair (a
    ``RealCleaning``): keep-all, weighted and oracle for each encoder, the hard filter for CCA.

    Introduced in the chapter `multiview`.
    """
    P = len(real.pairs)
    fig, axes = figure(P, width=3.6 * P + 0.6, height=3.4, sharey=True)
    for p, ax in enumerate(np.ravel(axes)):
        for encoder, ls in encoder_styles:
            if encoder not in real.encoders:
                continue
            c = real.encoders.index(encoder)
            name = "CCA" if encoder == "cca" else "PLS-SVD"
            routes = [
                ("keep all", real.keep_all),
                ("weighted", real.cleaned),
                ("oracle", real.oracle),
            ]
            if encoder == "cca":
                routes.insert(2, ("filtered", real.filtered))
            for route, values in routes:
                band(
                    ax,
                    real.epss,
                    values[:, p, c],
                    label=f"{name}, {route}",
                    color=_ROUTE_COLORS[route],
                    ls=ls,
                    marker="o" if ls == "-" else None,
                )
        a, b = real.pairs[p]
        ax.set(
            xlabel=r"fraction of shuffled training pairs $\varepsilon$",
            title=f"{a} → {b}",
            ylim=(0, 1.02),
        )
    for ax in np.ravel(axes):
        ax.set_ylabel("top-1 test retrieval of the partner")
    handles, labels = np.ravel(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize=8)
    return fig


def real_unpaired_figure(unp):
    """Test retrieval of each route with few known pairs and many hidden ones (a
    ``RealUnpaired``), mean and one standard deviation over splits.

    Introduced in the chapter `multiview`.
    """
    fig, ax = figure(width=8.0, height=3.6)
    colors = [PALETTE[0], PALETTE[2], PALETTE[5], METHOD_COLORS["unpaired"], PALETTE[7], PALETTE[6]]
    _grouped_bars(ax, unp.retrieval, unp.routes, colors, [f"{a} → {b}" for a, b in unp.pairs])
    ax.set(ylabel="top-1 test retrieval of the partner", xlabel="view pair", ylim=(0, 1.05))
    fig.legend(loc="outside right upper", fontsize=8)
    return fig


def _explorer_data(table, pair, eps, cleaning, encoder):
    p, c = table.pairs.index(tuple(pair)), table.encoders.index(encoder)
    e = int(np.argmin(np.abs(table.epss - eps)))
    mean = functools.partial(_nan_stat, np.nanmean)
    curves = {
        "keep all": mean(table.keep_all[:, p, c]),
        "weighted": mean(table.cleaned[:, p, c]),
        "oracle": mean(table.oracle[:, p, c]),
    }
    fields = (table.weight_true, table.weight_same_digit, table.weight_other_digit)
    weights = [float(mean(f[:, p, c, e])) if cleaning else 1.0 for f in fields]
    return {
        "epss": table.epss,
        "curves": curves,
        "eps": float(table.epss[e]),
        "value": float(curves["weighted" if cleaning else "keep all"][e]),
        "weights": np.nan_to_num(weights, nan=0.0),
        "auc": float(mean(table.auc[:, p, c, e])),
        "pi0": float(mean(table.pi0[:, p, c, e])) if cleaning else 0.0,
    }


def explorer_view(fig, data, params):
    """Draw the *multiview* explorer: test retrieval against eps for one view pair and encoder,
    the current setting marked, and the mean weight of true pairs, of wrong pairs of the same
    digit and of the others; returns an in-place ``update(data, params)``.

    Introduced in the chapter `multiview`.
    """
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    lines = {
        name: left.plot(
            data["epss"], values, marker="o", ms=3, color=_ROUTE_COLORS[name], label=name
        )[0]
        for name, values in data["curves"].items()
    }
    (point,) = left.plot(
        [data["eps"]],
        [data["value"]],
        "o",
        ms=11,
        mfc="none",
        mew=2,
        color=PALETTE[3],
        label="current setting",
    )
    left.set(
        xlabel=r"fraction of shuffled training pairs $\varepsilon$",
        ylim=(0, 1.02),
        ylabel="top-1 test retrieval",
    )
    left.legend(loc="lower left", fontsize=8)
    names = ["true pairs", "wrong,\nsame digit", "wrong,\nother digit"]
    bars = right.bar(names, data["weights"], color=[PALETTE[0], PALETTE[1], PALETTE[3]])
    right.set(ylim=(0, 1.05), ylabel="mean weight of the pairs")
    right.tick_params(axis="x", labelsize=8)

    def update(data, params):
        for name, line in lines.items():
            line.set_ydata(data["curves"][name])
        point.set_data([data["eps"]], [data["value"]])
        for bar, height in zip(bars, data["weights"]):
            bar.set_height(height)
        a, b = params["pair"]
        left.set_title(f"{a} → {b}, {params['encoder'].upper()}", fontsize=10)
        detail = f"AUC {data['auc']:.2f}, " + rf"$\hat\pi_0$ {data['pi0']:.2f}"
        if np.isnan(data["auc"]):
            detail = "no wrong pairs"
        right.set_title(detail if params["cleaning"] else "keep all: every weight 1", fontsize=10)

    update(data, params)
    return update


@functools.lru_cache(maxsize=1)
def _default_table():
    from ..datasets import load_multiple_features

    views, labels = load_multiple_features()
    return real_cleaning(views, labels, epss=(0.0, 0.2, 0.4, 0.6, 0.8), splits=1, rng=0)


@register("multiview")
def explorer(*, table=None) -> Explorer:
    """Explorer of the chapter `multiview`.

    Controls: the view pair, the fraction eps of shuffled training pairs, cleaning on or off and
    the encoder (CCA or PLS-SVD). The view (``explorer_view``) shows the test retrieval of
    keep-all, weighted and oracle fits against eps and the mean weights the cleaning gives to
    true pairs and to wrong pairs of the same or of another digit. Every value is looked up in
    ``table``.

    Parameters
    ----------
    table : RealCleaning, optional
        From :func:`mmcl.experiments.multiview_cleaning.real_cleaning`; by default one split of
        the three view pairs of the chapter at eps = 0, 0.2, ..., 0.8 (computed once, about a
        minute).

    Returns
    -------
    Explorer

    Examples
    --------
    >>> import mmcl
    >>> from mmcl.experiments.multiview_cleaning import real_cleaning
    >>> from mmcl.figures import multiview
    >>> views, labels = mmcl.load_multiple_features()
    >>> table = real_cleaning(views, labels, epss=[0.0, 0.5], pairs=[("mor", "zer")],
    ...                       encoders=["cca"], splits=1, r=2, rounds=1, rng=0)
    >>> explorer = multiview.explorer(table=table)
    >>> explorer.compute(**explorer.defaults)["weights"].shape
    (3,)
    """
    import ipywidgets as w

    table = _default_table() if table is None else table
    pairs = {f"{a} → {b}": (a, b) for a, b in table.pairs}
    controls = {
        "pair": w.Dropdown(options=list(pairs.items()), value=table.pairs[0], description="views"),
        "eps": w.SelectionSlider(
            options=[float(e) for e in table.epss],
            value=float(table.epss[len(table.epss) // 2]),
            description="eps",
        ),
        "cleaning": w.Checkbox(value=True, description="cleaning"),
        "encoder": w.Dropdown(
            options=list(table.encoders), value=table.encoders[-1], description="encoder"
        ),
    }

    def compute(pair, eps, cleaning, encoder):
        return _explorer_data(table, pair, eps, cleaning, encoder)

    return Explorer(compute, explorer_view, controls, figsize=(9.5, 3.6))
