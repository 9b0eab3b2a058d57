"""Figures of the book: one style, one colour-blind-safe palette.

Every chapter draws through this module so the figures look alike. The
palette is Okabe and Ito's, safe for the common forms of colour blindness.
Functions return the matplotlib ``Figure`` (or ``Axes``) they drew on and
never call ``plt.show``.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["PALETTE", "METHOD_COLORS", "use_style", "figure", "band", "heatmap"]

#: Okabe-Ito colours, in the order they are used.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

#: A fixed colour for each method, so a method looks the same in every chapter.
METHOD_COLORS = {
    "MMCL": PALETTE[0], "linear": PALETTE[0], "SVD": PALETTE[0],
    "CLIP": PALETTE[1],
    "unimodal CL": PALETTE[2],
    "PCA": PALETTE[3],
    "oracle": PALETTE[7],
    "unpaired": PALETTE[4],
}

_STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.figsize": (6.4, 4.0),
    "figure.constrained_layout.use": True,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply the book's matplotlib style (call once at the top of a chapter)."""
    mpl.rcParams.update(_STYLE)


def figure(ncols: int = 1, nrows: int = 1, *, width: float | None = None, height: float | None = None, **kw):
    """A new figure with the book's style; returns ``(fig, axes)``."""
    use_style()
    w = width if width is not None else 3.4 * ncols + 0.6
    h = height if height is not None else 3.0 * nrows
    return plt.subplots(nrows, ncols, figsize=(w, h), squeeze=False if (ncols > 1 or nrows > 1) else True, **kw)


def band(ax, x, values, *, label=None, color=None, marker="o", **kw):
    """Mean line with a +/- one standard deviation band across seeds.

    Parameters
    ----------
    ax : matplotlib Axes
    x : array, shape (m,)
    values : array, shape (seeds, m)
        One row per seed.
    """
    values = np.asarray(values, dtype=float)
    mean, sd = values.mean(axis=0), values.std(axis=0)
    (line,) = ax.plot(x, mean, marker=marker, ms=3.5, label=label, color=color, **kw)
    ax.fill_between(x, mean - sd, mean + sd, color=line.get_color(), alpha=0.2, lw=0)
    return line


def heatmap(ax, M, *, title=None, cmap="viridis", colorbar=True, label=None, **kw):
    """Show a matrix with a colour bar; returns the image."""
    im = ax.imshow(M, cmap=cmap, interpolation="nearest", **kw)
    if title:
        ax.set_title(title)
    ax.grid(False)
    if colorbar:
        cb = ax.figure.colorbar(im, ax=ax, shrink=0.85)
        if label:
            cb.set_label(label)
    return im


# --- Chapter: From contrastive loss to SVD ---

__all__ += ["gd_convergence", "power_phase", "selection_coefficients", "selection_map",
            "beta_heatmaps", "beta_spectrum_view"]


def gd_convergence(steps, loss_gap, subspace_error, *, label="gradient descent"):
    """Loss gap and subspace error of gradient descent against iterations (log y).

    Introduced in the chapter *From contrastive loss to SVD*.

    Parameters
    ----------
    steps : array, shape (m,)
    loss_gap : array, shape (m,)
        ``L(G_t) - L*`` (positive).
    subspace_error : array, shape (m,)
        ``||sin Theta||_F`` to the closed-form solution.
    label : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = figure(2, 1, width=8.0, height=3.0)
    ax1, ax2 = axes.ravel()
    color = METHOD_COLORS["linear"]
    ax1.semilogy(steps, loss_gap, color=color, label=label)
    ax1.set(xlabel="iteration t", ylabel=r"loss gap $L(G_t) - L^\star$", title="Loss")
    ax2.semilogy(steps, subspace_error, color=color, label=label)
    ax2.set(xlabel="iteration t", ylabel=r"$\|\sin\Theta(G_{1,t}^\top, \hat G_1^\top)\|_F$",
            title="Subspace of the encoder")
    ax1.legend()
    return fig


def power_phase(steps, curves, logit_size, *, threshold=1.0):
    """Subspace errors along gradient descent, with the power-iteration phase shaded.

    Introduced in the chapter *From contrastive loss to SVD*.

    Parameters
    ----------
    steps : array, shape (m,)
    curves : dict
        Label -> array (m,) of ``||sin Theta||_F``; a label containing
        ``"linear"`` is drawn dashed in the linear loss's colour.
    logit_size : array, shape (m,)
        ``max |K_ij|`` along the run.
    threshold : float
        Steps with ``logit_size < threshold`` are shaded (logits still small).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = figure(2, 1, width=9.0, height=3.2)
    ax1, ax2 = axes.ravel()
    steps, logit_size = np.asarray(steps), np.asarray(logit_size)
    small = steps[logit_size < threshold]
    for i, (label, values) in enumerate(curves.items()):
        is_linear = "linear" in label
        ax1.plot(steps, values, label=label, ls="--" if is_linear else "-",
                 color=METHOD_COLORS["linear"] if is_linear else PALETTE[(i + 1) % len(PALETTE)])
    ax2.semilogy(steps, logit_size, color=METHOD_COLORS["CLIP"])
    for ax in (ax1, ax2):
        if small.size:
            ax.axvspan(steps[0], small.max(), color=PALETTE[5], alpha=0.15, lw=0,
                       label=rf"$\max|K_{{ij}}| < {threshold:g}$" if ax is ax1 else None)
        ax.set_xlabel("iteration t")
    ax1.set(ylabel=r"$\|\sin\Theta\|_F$", title="Subspace error of $G_1$")
    ax2.set(ylabel=r"$\max_{ij} |K_{ij}|$", title="Size of the logits")
    ax1.legend(fontsize=8)
    return fig


def selection_coefficients(coefficients):
    """Coefficients of ``rho G1^T G2`` on each singular triple of ``S(beta_hat)``.

    Introduced in the chapter *From contrastive loss to SVD*.

    Parameters
    ----------
    coefficients : dict
        Label -> array (k,) from :func:`mmcl.spectral_selection` (1 = selected).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = figure(1, 1, width=7.0, height=3.0)
    m = len(coefficients)
    width = 0.8 / m
    for i, (label, c) in enumerate(coefficients.items()):
        idx = np.arange(1, len(c) + 1) + (i - (m - 1) / 2) * width
        ax.bar(idx, c, width=width, label=label, color=PALETTE[i % len(PALETTE)])
    k = max(len(c) for c in coefficients.values())
    ax.set_xticks(np.arange(1, k + 1))
    ax.set(xlabel=r"index k of the singular triple of $S(\hat\beta)$ (1 = largest)",
           ylabel=r"$u_k^\top (\rho G_1^\top G_2) v_k / \sigma_k$", ylim=(-0.1, 1.25))
    ax.legend(ncol=min(m, 3), loc="upper center")
    return fig


def selection_map(selected, taus, rhos, k, subspace_error, linear_error):
    """Which triples each ``(tau, rho)`` selects, and the subspace error it reaches.

    One row per grid point, sorted by ``tau * rho``.

    Introduced in the chapter *From contrastive loss to SVD*.

    Parameters
    ----------
    selected : array of int, shape (T, R, r)
    taus : array, shape (T,)
    rhos : array, shape (R,)
    k : int
        Number of singular triples.
    subspace_error : array, shape (T, R)
        ``||sin Theta(G1^T, U1)||_F`` of each converged CLIP encoder.
    linear_error : float
        The same for the closed-form linear solution.

    Returns
    -------
    matplotlib.figure.Figure
    """
    selected = np.asarray(selected)
    T, R, _ = selected.shape
    # Rows sorted by the product tau * rho, which is all the selection depends on.
    rows = sorted(((a, b) for a in range(T) for b in range(R)), key=lambda ab: taus[ab[0]] * rhos[ab[1]])
    grid = np.zeros((len(rows), k))
    for i, (a, b) in enumerate(rows):
        grid[i, selected[a, b]] = 1.0
    labels = [rf"$\tau\rho$={taus[a] * rhos[b]:g} ($\tau$={taus[a]:g}, $\rho$={rhos[b]:g})" for a, b in rows]
    fig, axes = figure(2, 1, width=10.0, height=0.3 * len(rows) + 1.6,
                       gridspec_kw={"width_ratios": [1.3, 1.0]})
    ax1, ax2 = axes.ravel()
    cmap = mpl.colors.ListedColormap(["#f2f2f2", METHOD_COLORS["CLIP"]])
    ax1.imshow(grid, cmap=cmap, aspect="auto", vmin=0, vmax=1, interpolation="nearest")
    ax1.set_xticks(np.arange(k), [str(j + 1) for j in range(k)])
    ax1.set_yticks(np.arange(len(rows)), labels)
    ax1.set_xticks(np.arange(k + 1) - 0.5, minor=True)
    ax1.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    ax1.grid(False)
    ax1.grid(which="minor", color="white", lw=1.5)
    ax1.tick_params(which="minor", length=0)
    ax1.set(xlabel=r"selected singular triple of $S(\hat\beta)$ (1 = largest)", title="Selected triples")
    err = np.array([subspace_error[a, b] for a, b in rows])
    ax2.barh(np.arange(len(rows)), err, color=METHOD_COLORS["CLIP"], label="CLIP, converged")
    ax2.axvline(linear_error, color=METHOD_COLORS["linear"], ls="--", label="linear loss (closed form)")
    ax2.set_yticks(np.arange(len(rows)), [])
    ax2.set_ylim(len(rows) - 0.5, -0.5)
    ax2.set(xlabel=r"recovery of span$(U_1)$: $\|\sin\Theta(G_1^\top, U_1)\|_F$")
    ax2.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=1)
    return fig


def _relative_offdiagonal(beta):
    """Off-diagonal ``beta`` divided by the linear loss's weight ``1/(n(n-1))``; diagonal blank."""
    n = beta.shape[0]
    rel = np.array(beta, dtype=float) * n * (n - 1)
    rel[np.diag_indices(n)] = np.nan
    return rel


def beta_heatmaps(betas, taus, *, n_show=30):
    """Heatmaps of the CLIP weights for several temperatures.

    Each panel shows the off-diagonal ``beta_ij`` of the first ``n_show``
    samples divided by the linear loss's weight ``1/(n(n-1))`` on a shared
    logarithmic colour scale (1 = the linear loss); the diagonal is blank.
    Introduced in the chapter *From contrastive loss to SVD*.

    Parameters
    ----------
    betas : sequence of arrays, shape (n, n)
    taus : sequence of float
    n_show : int

    Returns
    -------
    matplotlib.figure.Figure
    """
    rels = [_relative_offdiagonal(b)[:n_show, :n_show] for b in betas]
    lo = max(min(np.nanmin(r) for r in rels), 1e-3)
    hi = max(np.nanmax(r) for r in rels)
    norm = mpl.colors.LogNorm(vmin=lo, vmax=hi)
    fig, axes = figure(len(betas), 1, width=3.0 * len(betas) + 1.0, height=3.2)
    axes = np.ravel(axes)
    for ax, rel, tau in zip(axes, rels, taus):
        im = ax.imshow(rel, norm=norm, cmap="viridis", interpolation="nearest")
        ax.grid(False)
        ax.set(title=rf"$\tau$ = {tau:g}", xlabel="j (index of $y_j$)", ylabel="i (index of $x_i$)")
    cb = fig.colorbar(im, ax=list(axes), shrink=0.85)
    cb.set_label(r"$n(n-1)\,\beta_{ij}$ (1 = linear loss)")
    return fig


def beta_spectrum_view(fig, beta, singular_values, linear_singular_values, selected, *, n_show=40,
                       title=""):
    """Explorer view: CLIP weights (left) and the spectrum of ``S(beta)`` (right).

    Drawn with a fixed layout, linear colour scale on ``log10`` values and no
    minor ticks, so that a redraw stays fast. Introduced in the chapter *From
    contrastive loss to SVD*.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Empty figure to draw on.
    beta : array, shape (n, n)
    singular_values : array, shape (k,)
        Of ``S(beta)``.
    linear_singular_values : array, shape (k,)
        Of the linear loss's ``S``.
    selected : array of int
        Indices of the selected triples, highlighted.
    n_show : int
        Number of samples shown in the heatmap.
    title : str
    """
    fig.set_layout_engine("none")
    left = fig.add_gridspec(1, 2, width_ratios=[1.0, 0.05], left=0.05, right=0.40, bottom=0.14,
                            top=0.84, wspace=0.05)
    ax1, cax = fig.add_subplot(left[0]), fig.add_subplot(left[1])
    ax2 = fig.add_subplot(fig.add_gridspec(1, 1, left=0.58, right=0.98, bottom=0.14, top=0.84)[0])
    with np.errstate(divide="ignore"):
        rel = np.log10(_relative_offdiagonal(beta)[:n_show, :n_show])
    im = ax1.imshow(rel, vmin=max(np.nanmin(rel), -3.0), vmax=np.nanmax(rel), cmap="viridis",
                    interpolation="nearest")
    ax1.grid(False)
    ax1.set(title=r"$\log_{10}\,(n(n-1)\,\beta_{ij})$, $i \ne j$", xlabel="j", ylabel="i")
    fig.colorbar(im, cax=cax)
    k = np.arange(1, len(singular_values) + 1)
    chosen = set(np.asarray(selected).tolist())
    colors = [METHOD_COLORS["CLIP"] if i in chosen else "#bbbbbb" for i in range(len(singular_values))]
    ax2.bar(k - 0.2, singular_values, width=0.4, color=colors, label=r"$S(\hat\beta)$ (selected: orange)")
    ax2.bar(k + 0.2, linear_singular_values, width=0.4, color=METHOD_COLORS["linear"], label=r"$S_{\rm lin}$")
    ax2.set_yscale("log")
    ax2.yaxis.set_minor_locator(mpl.ticker.NullLocator())
    ax2.set_xticks(k)
    ax2.set(xlabel="singular index k", ylabel=r"singular value $\sigma_k$", title="Spectra")
    ax2.legend(loc="upper right", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)


# --- Chapter: Robustness to mismatched pairs ---

__all__ += ["expectation_check", "masked_convergence", "error_vs_eps", "error_vs_n", "theory_collapse",
            "phase_diagram", "ablation_grid", "clip_vs_linear_figure", "digits_figure", "robustness_bars"]

_UNIMODAL = ("unimodal CL", "PCA")


def expectation_check(panels):
    """Entries of the sample ``S`` against ``(1 - eps) U1 Lambda U2^T``, one panel per eps.

    ``panels`` is a list of ``(eps, S_hat, S_theory)``.
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
        values = np.repeat(np.asarray(out[name])[:, i:i + 1], len(x), axis=1)
        band(ax, x, values, label=name, color=METHOD_COLORS[name], marker=None, ls="--")


def error_vs_eps(out, n_show):
    """sin-Theta against eps, one panel per n in ``n_show`` (output of ``robustness_sweep``)."""
    fig, axes = figure(len(n_show), width=3.2 * len(n_show) + 0.4, height=3.1, sharey=True)
    for ax, n in zip(np.ravel(axes), n_show):
        i = int(np.flatnonzero(out["n"] == n)[0])
        band(ax, out["eps"], out["MMCL"][:, i], label="MMCL", color=METHOD_COLORS["MMCL"], marker=".")
        _baseline_bands(ax, out["eps"], out, i)
        ax.set_title(f"n = {n}")
        ax.set_xlabel(r"mismatch probability $\varepsilon$")
    np.ravel(axes)[0].set_ylabel(r"$\|\sin\Theta(G_1^\top, U_1)\|_F$")
    np.ravel(axes)[0].legend(loc="lower right")
    return fig


def error_vs_n(out, eps_show, floors, slopes):
    """sin-Theta against n on log-log axes; MMCL for each eps, the unimodal methods and their floors.

    ``floors`` maps method name to its population error; ``slopes`` maps eps to the fitted MMCL slope.
    """
    fig, ax = figure(width=5.6, height=3.8)
    ns = out["n"]
    styles = ["-", "--", "-.", ":"]
    for k, eps in enumerate(eps_show):
        j = int(np.argmin(np.abs(out["eps"] - eps)))
        band(ax, ns, out["MMCL"][:, :, j], color=METHOD_COLORS["MMCL"], ls=styles[k % 4],
             label=rf"MMCL, $\varepsilon$ = {eps:g} (slope {slopes[eps]:.2f})")
    for name in _UNIMODAL:
        band(ax, ns, out[name], color=METHOD_COLORS[name], label=name, marker="s")
        ax.axhline(floors[name], color=METHOD_COLORS[name], lw=1, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of pairs n")
    ax.set_ylabel(r"$\|\sin\Theta(G_1^\top, U_1)\|_F$")
    ax.legend(fontsize=8)
    return fig


def theory_collapse(out, constant, threshold):
    """``error (1 - eps) sqrt(n)`` against ``(1 - eps) sqrt(n)``; filled points are below ``threshold``."""
    fig, ax = figure(width=5.6, height=3.6)
    mean = out["MMCL"].mean(axis=0)
    x = (1 - out["eps"])[None, :] * np.sqrt(out["n"])[:, None]
    cmap = plt.get_cmap("viridis")
    for i, n in enumerate(out["n"]):
        color = cmap(i / max(1, len(out["n"]) - 1))
        small = (mean[i] < threshold) & (x[i] > 0)
        ax.scatter(x[i, small], (mean[i] * x[i])[small], color=color, s=18, label=f"n = {n}")
        ax.scatter(x[i, ~small & (x[i] > 0)], (mean[i] * x[i])[~small & (x[i] > 0)], s=18,
                   facecolors="none", edgecolors=color)
    ax.axhline(constant, color=PALETTE[7], ls="--", lw=1, label="first-order theory")
    ax.set_xscale("log")
    ax.set_xlabel(r"$(1-\varepsilon)\sqrt{n}$")
    ax.set_ylabel(r"$\|\sin\Theta\|_F \cdot (1-\varepsilon)\sqrt{n}$")
    ax.legend(fontsize=7, ncol=2)
    return fig


def phase_diagram(out, crossover, predicted):
    """Which method wins over (eps, n), with the measured and predicted crossover eps."""
    fig, ax = figure(width=6.0, height=3.8)
    best = np.minimum(out["unimodal CL"].mean(axis=0), out["PCA"].mean(axis=0))
    ratio = np.log2(out["MMCL"].mean(axis=0) / best[:, None])
    lim = np.abs(ratio).max()
    ns = np.asarray(out["n"])
    im = ax.pcolormesh(out["eps"], np.arange(ns.size), ratio, cmap="PuOr_r", vmin=-lim, vmax=lim, shading="nearest")
    cb = fig.colorbar(im, ax=ax)
    cb.set_label(r"$\log_2$(MMCL error / best unimodal error)")
    ax.plot(crossover, np.arange(ns.size), "o-", color=PALETTE[7], label="measured crossover")
    ax.plot(predicted, np.arange(ns.size), "x--", color=PALETTE[3], label=r"predicted: $(1-\varepsilon^*)\sqrt{n}$ constant")
    ax.set_yticks(np.arange(ns.size), [str(n) for n in ns])
    ax.set_xlabel(r"mismatch probability $\varepsilon$")
    ax.set_ylabel("number of pairs n")
    ax.grid(False)
    ax.legend(loc="lower left", fontsize=8)
    return fig


def ablation_grid(results, noise_types):
    """sin-Theta against eps for each noise type (columns) and basis (rows: random, coherent)."""
    fig, axes = figure(len(noise_types), 2, width=3.0 * len(noise_types) + 0.6, height=5.4, sharey=True, sharex=True)
    for row, coherent in enumerate((False, True)):
        for col, noise in enumerate(noise_types):
            ax, out = axes[row, col], results[noise, coherent]
            band(ax, out["eps"], out["MMCL"][:, 0], label="MMCL", color=METHOD_COLORS["MMCL"])
            _baseline_bands(ax, out["eps"], out, 0)
            ax.set_title(f"{noise}, {'coherent' if coherent else 'random'} $U_1$", fontsize=9)
            if row == 1:
                ax.set_xlabel(r"$\varepsilon$")
        axes[row, 0].set_ylabel(r"$\|\sin\Theta\|_F$")
    axes[0, 0].legend(fontsize=8)
    return fig


def clip_vs_linear_figure(by_eps, by_tau):
    """CLIP trained by gradient descent against the linear closed form.

    Left: error along training for each eps (``clip_vs_linear`` with one tau),
    linear solution dashed. Right: converged error against tau at one eps.
    """
    fig, axes = figure(2, width=9.0, height=3.4)
    a, b = np.ravel(axes)
    for j, eps in enumerate(by_eps["eps"]):
        color = PALETTE[[0, 1, 3, 4, 5][j % 5]]
        band(a, by_eps["steps"], by_eps["CLIP"][:, j, 0], color=color, marker=None,
             label=rf"CLIP, $\varepsilon$ = {eps:g}")
        a.axhline(by_eps["linear"][:, j].mean(), color=color, ls="--", lw=1)
    a.set_xlabel("gradient step")
    a.set_ylabel(r"$\|\sin\Theta(G_1^\top, U_1)\|_F$")
    a.set_title(rf"$\tau$ = {by_eps['tau'][0]:g} (dashed: linear loss, closed form)", fontsize=9)
    a.legend(fontsize=8)
    final = by_tau["CLIP"][:, 0, :, -1]
    band(b, by_tau["tau"], final, color=METHOD_COLORS["CLIP"], label="CLIP, end of training")
    band(b, by_tau["tau"], by_tau["CLIP"][:, 0].min(axis=-1), color=PALETTE[4], marker="^",
         label="CLIP, best stopping time")
    lin = np.repeat(by_tau["linear"][:, :1], by_tau["tau"].size, axis=1)
    band(b, by_tau["tau"], lin, color=METHOD_COLORS["linear"], ls="--", marker=None, label="linear loss")
    b.set_xscale("log")
    b.set_xlabel(r"temperature $\tau$")
    b.set_title(rf"$\varepsilon$ = {by_tau['eps'][0]:g}", fontsize=9)
    b.legend(fontsize=8)
    return fig


def digits_figure(out):
    """Linear-probe accuracy (left) and MMCL retrieval accuracy (right) on digit halves against eps."""
    fig, axes = figure(2, width=9.0, height=3.4)
    a, b = np.ravel(axes)
    eps = out["eps"]
    for name in ("MMCL", "unimodal CL", "PCA"):
        band(a, eps, out["probe"][name], label=name, color=METHOD_COLORS[name],
             ls="-" if name == "MMCL" else "--", marker="o" if name == "MMCL" else None)
    a.axhline(np.mean(out["raw probe"]), color=PALETTE[7], ls=":", lw=1, label="all 32 raw pixels")
    a.set_xlabel(r"fraction of shuffled pairs $\varepsilon$")
    a.set_ylabel("probe accuracy (held-out digits)")
    a.legend(fontsize=8)
    band(b, eps, out["retrieval"], label="MMCL", color=METHOD_COLORS["MMCL"])
    b.axhline(out["chance"], color=PALETTE[7], ls=":", lw=1, label="chance")
    b.set_yscale("log")
    b.set_xlabel(r"fraction of shuffled pairs $\varepsilon$")
    b.set_ylabel("top-1 retrieval accuracy (left to right half)")
    b.legend(fontsize=8)
    return fig


def robustness_bars(fig, data, params):
    """Explorer view: bars of the three errors (mean and seed spread) at one setting."""
    ax = fig.add_subplot(1, 1, 1)
    names = list(data["errors"])
    means = [np.mean(data["errors"][k]) for k in names]
    sds = [np.std(data["errors"][k]) for k in names]
    ax.bar(names, means, yerr=sds, color=[METHOD_COLORS[k] for k in names], capsize=4)
    ax.axhline(np.sqrt(data["r"]), color=PALETTE[7], ls=":", lw=1)
    ax.text(2.45, np.sqrt(data["r"]), "random subspace", ha="right", va="bottom", fontsize=8)
    ax.set_ylim(0, np.sqrt(data["r"]) * 1.12)
    ax.set_ylabel(r"$\|\sin\Theta(\cdot, U_1)\|_F$")
    ax.set_title(f"n = {params['n']}, eps = {params['eps']:g}, {params['noise']} noise, "
                 f"{'coherent' if params['coherent'] else 'random'} U1", fontsize=9)
    return ax


# --- Chapter: Incorporating unpaired data ---

__all__ += ["detection_figure", "unpaired_gain_figure", "paper_reproduction_figure", "unpaired_explorer_view"]


def _log_ticks(ax, x):
    """Log x axis labelled at the plotted values only."""
    ax.set_xscale("log")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{v:g}" for v in x])
    ax.minorticks_off()


def detection_figure(snrs, precision, recall, round_precision, round_recall, targets, achieved, fractions):
    """Detection of hidden pairs: against the signal-to-noise ratio, against the
    rounds, and false-discovery rate achieved against the target.

    ``precision``, ``recall``: (fractions, snrs, seeds); ``round_*``: (seeds,
    rounds + 1) at one setting; ``achieved``: (fractions, targets, seeds).
    """
    fig, ax = figure(3, 1, width=11.5, height=3.3)
    styles = ["-", "--"]
    for a, f in enumerate(fractions):
        band(ax[0, 0], snrs, precision[a].T, label=f"precision, {f:.0%} with partner", color=PALETTE[0], ls=styles[a])
        band(ax[0, 0], snrs, recall[a].T, label=f"recall, {f:.0%} with partner", color=PALETTE[1], ls=styles[a])
        band(ax[0, 2], targets, achieved[a].T, label=f"{f:.0%} with partner", color=PALETTE[2 + a], ls=styles[a])
    _log_ticks(ax[0, 0], snrs)
    ax[0, 0].set(xlabel="signal-to-noise ratio (latent variance / noise variance)",
                 ylabel="score", title="detection against signal-to-noise")
    rounds = np.arange(round_precision.shape[1])
    band(ax[0, 1], rounds[1:], round_precision[:, 1:], label="precision", color=PALETTE[0])
    band(ax[0, 1], rounds[1:], round_recall[:, 1:], label="recall", color=PALETTE[1])
    ax[0, 1].set(xlabel="round", ylabel="score", title="detection against rounds")
    ax[0, 2].plot(targets, targets, color=PALETTE[7], lw=1, label="achieved = target")
    ax[0, 2].set(xlabel="target false-discovery rate", ylabel="achieved false-discovery proportion",
                 title="calibration of the price")
    for a_ in ax[0]:
        a_.legend(loc="best")
    return fig


def unpaired_gain_figure(ms, pairs_only, algorithm, oracle):
    """sin-Theta against the number of unpaired samples for three methods, (seeds, len(ms)) each."""
    fig, ax = figure()
    band(ax, ms, pairs_only, label="pairs only (SVD)", color=METHOD_COLORS["SVD"])
    band(ax, ms, algorithm, label="pairs + detected pairs", color=METHOD_COLORS["unpaired"])
    band(ax, ms, oracle, label="oracle (true pairs known)", color=METHOD_COLORS["oracle"])
    _log_ticks(ax, ms)
    ax.set(xlabel="number m of unpaired samples per modality",
           ylabel=r"$\|\sin\Theta(G_1^\top, U_1)\|_F$", title="what unpaired data buy")
    ax.legend()
    return fig


def paper_reproduction_figure(Ns, result):
    """Top-1 retrieval accuracy against the number of unpaired samples (paper's Section 5.1)."""
    fig, ax = figure()
    Ns = np.asarray(Ns)
    band(ax, Ns, result["paper"], label="paper's procedure (CLIP + AdamW)", color=METHOD_COLORS["CLIP"])
    band(ax, Ns, result["svd_unpaired"], label="SVD with unpaired data", color=METHOD_COLORS["unpaired"])
    for key, label, color, ls in (("paper_pairs", "paper's procedure, pairs only", METHOD_COLORS["CLIP"], ":"),
                                  ("svd_pairs", "SVD, pairs only", METHOD_COLORS["SVD"], "--"),
                                  ("ceiling", r"ceiling (true $U_1, U_2$)", METHOD_COLORS["oracle"], "-")):
        ax.axhline(np.mean(result[key]), color=color, ls=ls, lw=1.2, label=label)
    ax.set(xlabel="number N of unpaired samples", ylabel="top-1 retrieval accuracy",
           title="reproducing Section 5.1 of the paper")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def unpaired_explorer_view(fig, data, params):
    """Draw the *unpaired* explorer: cosine similarities of matched pairs and scores."""
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    lo = min(np.min(data["true_cos"], initial=1.0), np.min(data["false_cos"], initial=1.0))
    bins = np.linspace(min(lo, 0.9), 1.0, 31)
    ax1.hist(data["true_cos"], bins=bins, color=PALETTE[0], alpha=0.7, label="matched, true pair")
    ax1.hist(data["false_cos"], bins=bins, color=PALETTE[3], alpha=0.7, label="matched, not a pair")
    if np.isfinite(data["theta"]):
        ax1.axvline(data["theta"], color=PALETTE[7], ls="--", label=r"price $\theta$")
    ax1.set(xlabel="cosine similarity (last round)", ylabel="assigned pairs",
            title=f"precision {data['precision']:.2f}, recall {data['recall']:.2f}")
    ax1.legend(loc="upper left", fontsize=8)
    names = ["pairs only", "with unpaired", "oracle"]
    colors = [METHOD_COLORS["SVD"], METHOD_COLORS["unpaired"], METHOD_COLORS["oracle"]]
    ax2.bar(names, data["errors"], color=colors)
    ax2.set(ylabel=r"$\|\sin\Theta(G_1^\top, U_1)\|_F$", title="subspace error")
    ax2.tick_params(axis="x", labelsize=8)
