"""Figures and explorer of the chapter `robustness`."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np

from ..experiments.robustness import NOISE_TYPES, robustness_model, robustness_sweep
from ..widgets import Explorer, register
from .style import METHOD_COLORS, PALETTE, band, figure

__all__ = [
    "LABELS",
    "expectation_check",
    "masked_convergence",
    "error_vs_eps",
    "error_vs_n",
    "theory_collapse",
    "phase_diagram",
    "ablation_grid",
    "clip_vs_linear_figure",
    "robustness_bars",
    "explorer",
]


#: Display names of the fields of :class:`~mmcl.experiments.robustness.RobustnessSweep`.
LABELS = {"mmcl": "MMCL", "unimodal_cl": "unimodal CL", "pca": "PCA"}
_UNIMODAL = ("unimodal_cl", "pca")


def expectation_check(panels):
    """Entries of the sample ``S`` against ``(1 - eps) U1 Lambda U2^T``, one panel per eps.

    ``panels`` is a list of ``(eps, S_hat, S_theory)``.

    Introduced in the chapter `robustness`.
    """
    fig, axes = figure(len(panels), width=3.3 * len(panels) + 0.4, height=3.1)
    for ax, (eps, S_hat, S_theory) in zip(np.ravel(axes), panels):
        ax.scatter(S_theory.ravel(), S_hat.ravel(), s=6, alpha=0.6, color=PALETTE[0])
        lim = np.abs(np.concatenate([S_hat.ravel(), S_theory.ravel()])).max() * 1.05
        ax.plot([-lim, lim], [-lim, lim], color=PALETTE[7], lw=1, ls="--", label="y = x")
        ax.set_xlabel(r"$(1-\varepsilon)\,U_1\Lambda U_2^\top$ entry")
        ax.set_ylabel(r"sample $S$ entry")
        ax.set_title(rf"$\varepsilon = {eps:g}$")
    np.ravel(axes)[0].legend()
    return fig


def masked_convergence(ns, masked_error, to_limit):
    """Sampled masked-view matrix and encoder against the population limit, log-log in n.

    ``masked_error`` and ``to_limit`` have shape (seeds, N).

    Introduced in the chapter `robustness`.
    """
    fig, axes = figure(2, width=8.4, height=3.2)
    a, b = np.ravel(axes)
    band(a, ns, masked_error, label="sampled masks", color=METHOD_COLORS["unimodal CL"])
    ref = np.mean(masked_error, axis=0)[0] * np.sqrt(ns[0] / np.asarray(ns, dtype=float))
    a.plot(ns, ref, ls=":", color=PALETTE[7], label=r"slope $-1/2$")
    a.set_ylabel(r"relative distance to $\frac{1}{4}(\Sigma - \mathrm{diag}\,\Sigma)$")
    band(b, ns, to_limit, color=METHOD_COLORS["unimodal CL"], label="sampled vs population encoder")
    b.set_ylabel(r"$\|\sin\Theta\|_F$ to population encoder")
    for ax in (a, b):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("number of samples n")
        ax.legend()
    return fig


def _baseline_bands(ax, x, out, i):
    for name in _UNIMODAL:
        values = np.repeat(np.asarray(getattr(out, name))[:, i : i + 1], len(x), axis=1)
        band(
            ax,
            x,
            values,
            label=LABELS[name],
            color=METHOD_COLORS[LABELS[name]],
            marker=None,
            ls="--",
        )


def error_vs_eps(out, n_show):
    """sin-Theta against eps, one panel per n in ``n_show`` (a ``RobustnessSweep``).

    Introduced in the chapter `robustness`.
    """
    fig, axes = figure(len(n_show), width=3.2 * len(n_show) + 0.4, height=3.1, sharey=True)
    for ax, n in zip(np.ravel(axes), n_show):
        i = int(np.flatnonzero(out.n == n)[0])
        band(ax, out.eps, out.mmcl[:, i], label="MMCL", color=METHOD_COLORS["MMCL"], marker=".")
        _baseline_bands(ax, out.eps, out, i)
        ax.set_title(f"n = {n}")
        ax.set_xlabel(r"mismatch probability $\varepsilon$")
        ax.set_ylabel(r"subspace error $\|\sin\Theta\|_F$")
        ax.yaxis.set_tick_params(labelleft=True)
    np.ravel(axes)[0].legend(loc="lower right")
    return fig


def error_vs_n(out, eps_show, floors, slopes):
    """sin-Theta against n on log-log axes: MMCL for each eps, the unimodal methods, their floors.

    ``floors`` maps a method's name to its population error; ``slopes`` maps eps to the fitted
    MMCL slope.

    Introduced in the chapter `robustness`.
    """
    fig, ax = figure(width=8.0, height=3.8)
    ns = out.n
    styles = ["-", "--", "-.", ":"]
    for k, eps in enumerate(eps_show):
        j = int(np.argmin(np.abs(out.eps - eps)))
        band(
            ax,
            ns,
            out.mmcl[:, :, j],
            color=METHOD_COLORS["MMCL"],
            ls=styles[k % 4],
            label=rf"MMCL, $\varepsilon$ = {eps:g} (slope {slopes[eps]:.2f})",
        )
    for name in _UNIMODAL:
        label = LABELS[name]
        band(ax, ns, getattr(out, name), color=METHOD_COLORS[label], label=label, marker="s")
        ax.axhline(
            floors[label], color=METHOD_COLORS[label], lw=1.2, ls=":", label=f"{label}: bias floor"
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    top = max(np.max(out.mmcl.mean(axis=0)), *floors.values())
    ax.set_ylim(None, 2.0 * top)
    ax.set_xlabel("number of pairs n")
    ax.set_ylabel(r"subspace error $\|\sin\Theta(G_1^\top, U_1)\|_F$")
    fig.legend(loc="outside right center")
    return fig


def theory_collapse(out, constant, threshold):
    """``error (1 - eps) sqrt(n)`` against ``(1 - eps) sqrt(n)``; filled: below ``threshold``.

    Introduced in the chapter `robustness`.
    """
    fig, ax = figure(width=7.4, height=3.6)
    mean = out.mmcl.mean(axis=0)
    x = (1 - out.eps)[None, :] * np.sqrt(out.n)[:, None]
    cmap = plt.get_cmap("viridis")
    for i, n in enumerate(out.n):
        color = cmap(i / max(1, len(out.n) - 1))
        small = (mean[i] < threshold) & (x[i] > 0)
        ax.scatter(x[i, small], (mean[i] * x[i])[small], color=color, s=18, label=f"n = {n}")
        ax.scatter(
            x[i, ~small & (x[i] > 0)],
            (mean[i] * x[i])[~small & (x[i] > 0)],
            s=18,
            facecolors="none",
            edgecolors=color,
        )
    ax.axhline(constant, color=PALETTE[7], ls="--", lw=1, label="first-order theory")
    ax.set_xscale("log")
    ax.set_xlabel(r"$(1-\varepsilon)\sqrt{n}$")
    ax.set_ylabel(r"error $\times\,(1-\varepsilon)\sqrt{n}$")
    fig.legend(loc="outside right center")
    return fig


def phase_diagram(out, crossover, predicted):
    """Which method wins over (eps, n), with the measured and predicted crossover eps.

    Introduced in the chapter `robustness`.
    """
    fig, ax = figure(width=6.0, height=3.8)
    best = np.minimum(out.unimodal_cl.mean(axis=0), out.pca.mean(axis=0))
    ratio = np.log2(out.mmcl.mean(axis=0) / best[:, None])
    # symmetric about 0 (a tie) and fitted to the bulk of the values; the rest saturates
    lim = max(float(np.percentile(np.abs(ratio), 90)), 0.25)
    ns = np.asarray(out.n)
    im = ax.pcolormesh(
        out.eps, np.arange(ns.size), ratio, cmap="PuOr_r", vmin=-lim, vmax=lim, shading="nearest"
    )
    cb = fig.colorbar(im, ax=ax, extend="both")
    cb.set_label(r"$\log_2$(MMCL error / best unimodal error)")
    ax.plot(crossover, np.arange(ns.size), "o-", color=PALETTE[7], label="measured crossover")
    ax.plot(
        predicted,
        np.arange(ns.size),
        "x--",
        color=PALETTE[3],
        label=r"predicted: $(1-\varepsilon^*)\sqrt{n}$ constant",
    )
    ax.set_yticks(np.arange(ns.size), [str(n) for n in ns])
    ax.set_xlabel(r"mismatch probability $\varepsilon$")
    ax.set_ylabel("number of pairs n")
    ax.grid(False)
    ax.legend(loc="lower left")
    return fig


def ablation_grid(results, noise_types):
    """sin-Theta against eps for each noise type (columns) and basis (rows: random, coherent).

    Introduced in the chapter `robustness`.
    """
    fig, axes = figure(
        len(noise_types),
        2,
        width=3.0 * len(noise_types) + 0.6,
        height=6.2,
        sharey=True,
        sharex=True,
    )
    for row, coherent in enumerate((False, True)):
        for col, noise in enumerate(noise_types):
            ax, out = axes[row, col], results[noise, coherent]
            band(ax, out.eps, out.mmcl[:, 0], label="MMCL", color=METHOD_COLORS["MMCL"])
            _baseline_bands(ax, out.eps, out, 0)
            ax.set_title(f"{noise}, {'coherent' if coherent else 'random'} $U_1$", fontsize=10)
            ax.set_xlabel(r"mismatch $\varepsilon$")
            ax.set_ylabel(r"subspace error")
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.yaxis.set_tick_params(labelleft=True)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    return fig


def clip_vs_linear_figure(by_eps, by_tau, polished=None):
    """CLIP trained by gradient descent against the linear closed form.

    Left: error along training for each eps (``clip_vs_linear`` with one tau),
    linear solution dashed. Middle: end-of-training error against tau at one
    eps. Right (when ``polished`` is given, a ``ClipVsLinear`` run with
    ``polish=True`` and one tau): the polished CLIP error of each sample
    against the linear loss's on the same sample. Introduced in the chapter
    `robustness`.
    """
    # three panels in two rows (not one 12-inch row), so the text stays legible at the
    # page's width
    rows = 2 if polished is not None else 1
    fig, axes = figure(2, rows, width=9.0, height=3.6 * rows)
    a, b = np.ravel(axes)[:2]
    for j, eps in enumerate(by_eps.eps):
        color = PALETTE[[0, 1, 3, 4, 5][j % 5]]
        band(
            a,
            by_eps.steps,
            by_eps.clip[:, j, 0],
            color=color,
            marker=None,
            label=rf"CLIP, $\varepsilon$ = {eps:g}",
        )
        a.axhline(by_eps.linear[:, j].mean(), color=color, ls="--", lw=1)
    a.set_xlabel("gradient step")
    a.set_ylabel(r"subspace error $\|\sin\Theta(G_1^\top, U_1)\|_F$")
    a.set_title(rf"$\tau$ = {by_eps.tau[0]:g} (dashed: linear loss)", fontsize=10)
    a.legend(loc="upper right")
    final = by_tau.clip[:, 0, :, -1]
    band(b, by_tau.tau, final, color=METHOD_COLORS["CLIP"], label="CLIP, end of training")
    band(
        b,
        by_tau.tau,
        by_tau.clip[:, 0].min(axis=-1),
        color=PALETTE[4],
        marker="^",
        label="CLIP, best stopping time",
    )
    lin = np.repeat(by_tau.linear[:, :1], by_tau.tau.size, axis=1)
    band(
        b, by_tau.tau, lin, color=METHOD_COLORS["linear"], ls="--", marker=None, label="linear loss"
    )
    b.set_xscale("log")
    b.set_xlabel(r"temperature $\tau$")
    b.set_ylabel(r"subspace error $\|\sin\Theta\|_F$")
    b.set_title(rf"$\varepsilon$ = {by_tau.eps[0]:g}", fontsize=10)
    b.legend(loc="upper right")
    if polished is not None:
        c = np.ravel(axes)[2]
        np.ravel(axes)[3].set_axis_off()
        x, y = polished.linear[:, 0], polished.polished[:, 0, 0]
        lo, hi = min(x.min(), y.min()) * 0.95, max(x.max(), y.max()) * 1.05
        c.plot([lo, hi], [lo, hi], color=PALETTE[7], ls=":", lw=1, label="equal error")
        c.scatter(x, y, color=METHOD_COLORS["CLIP"], s=22, zorder=3, label="one sample")
        c.set(xlim=(lo, hi), ylim=(lo, hi), aspect="equal")
        c.set_xlabel(r"linear loss: subspace error")
        c.set_ylabel("polished CLIP: subspace error")
        c.set_title(rf"$\tau$ = {polished.tau[0]:g}: below the line CLIP is better", fontsize=10)
        c.legend(loc="upper left")
    return fig


def _bars_title(params):
    return (
        f"n = {params['n']}, eps = {params['eps']:g}, {params['noise']} noise, "
        f"{'coherent' if params['coherent'] else 'random'} U1"
    )


def robustness_bars(fig, data, params):
    """Explorer view: bars of the three errors (mean and seed spread) at one setting.

    Returns an ``update(data, params)`` that moves the bars, their spread and
    the title in place (the axes are fixed: from 0 to the largest possible
    error ``sqrt(r)``). Introduced in the chapter `robustness`.
    """
    fig.set_layout_engine("none")  # fixed margins: no layout pass on every redraw
    ax = fig.add_axes((0.12, 0.15, 0.84, 0.74))
    names = list(data["errors"])
    ceiling = np.sqrt(data["r"])
    bars = ax.bar(names, np.zeros(len(names)), color=[METHOD_COLORS[k] for k in names])
    spread = ax.vlines(np.arange(len(names)), 0, 0, color=PALETTE[7], lw=1.5)
    ax.axhline(ceiling, color=PALETTE[7], ls=":", lw=1, zorder=0)
    # plain text (no mathtext): the view is redrawn on every slider move
    ax.text(-0.45, ceiling, "largest possible error √r", va="bottom", fontsize=9)
    ax.set_ylim(0, ceiling * 1.15)
    ax.set_ylabel("subspace error, Frobenius ‖sin Θ(·, U₁)‖")
    ax.set_xlabel("method (bars: mean over samples; lines: one standard deviation)")
    title = ax.set_title("", fontsize=10)

    def update(data, params):
        segments = []
        for i, (bar, k) in enumerate(zip(bars, names)):
            mean, sd = np.mean(data["errors"][k]), np.std(data["errors"][k])
            bar.set_height(mean)
            segments.append([(i, mean - sd), (i, mean + sd)])
        spread.set_segments(segments)
        title.set_text(_bars_title(params))

    update(data, params)
    return update


#: Grid of the robustness explorer: its n options and eps steps.
EXPLORER_NS = (500, 1000, 2000, 4000, 8000)
EXPLORER_EPSS = tuple(round(float(e), 2) for e in np.linspace(0.0, 1.0, 21))


@functools.lru_cache(maxsize=8)
def _robustness_table(noise: str, coherent: bool, seeds: int):
    """All errors of one (noise, basis) setting over the explorer's grid, computed once.

    One call of :func:`mmcl.experiments.robustness_sweep` covers every n and
    eps (nested samples, shared draws), so moving a slider is a lookup.
    """
    model = robustness_model(noise, coherent, rng=0)
    return robustness_sweep(model, ns=EXPLORER_NS, epss=EXPLORER_EPSS, seeds=seeds, rng=0), model.r


def _robustness_compute(eps: float, n: int, noise: str, coherent: bool, *, seeds: int = 3):
    out, r = _robustness_table(noise, bool(coherent), seeds)
    i, j = EXPLORER_NS.index(n), int(np.argmin(np.abs(out.eps - eps)))
    return {
        "errors": {
            "MMCL": out.mmcl[:, i, j],
            "unimodal CL": out.unimodal_cl[:, i],
            "PCA": out.pca[:, i],
        },
        "r": r,
    }


@register("robustness")
def explorer(*, seeds: int = 3) -> Explorer:
    """Explorer of the chapter `robustness`.

    Controls: the mismatch probability eps, the number of pairs n, the noise
    of modality 1 (isotropic, heteroskedastic, structured) and whether the
    shared features are coherent. The view shows the subspace error of MMCL,
    unimodal contrastive learning and PCA (mean and spread over ``seeds``
    samples of the chapter's model, d = 100, r = 5). The errors of a noise
    type and basis are computed for the whole (n, eps) grid the first time it
    is shown (about a second; the default when the explorer is built), so
    moving eps or n only looks them up and updates the bars in place.

    Parameters
    ----------
    seeds : int
        Samples averaged per view.

    Returns
    -------
    Explorer

    Examples
    --------
    >>> from mmcl.figures import robustness
    >>> explorer = robustness.explorer()
    >>> data = explorer.compute(**{**explorer.defaults, "n": 500})
    >>> sorted(data["errors"])
    ['MMCL', 'PCA', 'unimodal CL']
    """
    import ipywidgets as w

    controls = {
        "eps": w.SelectionSlider(options=list(EXPLORER_EPSS), value=0.5, description="eps"),
        "n": w.SelectionSlider(options=list(EXPLORER_NS), value=4000, description="n"),
        "noise": w.Dropdown(options=list(NOISE_TYPES), value="structured", description="noise"),
        "coherent": w.Checkbox(value=True, description="coherent U1"),
    }

    # the default setting now; the others on first use (then every move is a lookup)
    _robustness_table(controls["noise"].value, controls["coherent"].value, seeds)

    def compute(eps, n, noise, coherent):
        return _robustness_compute(eps, n, noise, coherent, seeds=seeds)

    return Explorer(compute, robustness_bars, controls, figsize=(6.4, 3.6))
