"""Figures and explorer of the chapter `loss_to_svd`."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

from .._checks import as_generator, as_pair
from ..experiments.loss_to_svd import SelectionGrid, chapter_sample, selection_grid
from ..losses import clip_loss, linear_cross_covariance
from ..widgets import Explorer, register, steady_limit
from .style import METHOD_COLORS, PALETTE, figure

__all__ = [
    "gd_convergence",
    "power_phase",
    "selection_coefficients",
    "selection_map",
    "beta_heatmaps",
    "beta_spectrum_view",
    "explorer",
]


def gd_convergence(steps, loss_gap, subspace_error, *, label="gradient descent"):
    """Loss gap and subspace error of gradient descent against iterations (log y).

    Introduced in the chapter `loss_to_svd`.

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
    ax2.set(
        xlabel="iteration t",
        ylabel=r"$\|\sin\Theta(G_{1,t}^\top, \hat G_1^\top)\|_F$",
        title="Subspace of the encoder",
    )
    ax1.legend()
    return fig


def power_phase(steps, curves, logit_size, *, threshold=0.1):
    """Subspace errors along gradient descent, with the power-iteration phase shaded.

    The shaded steps are those before the largest logit first reaches
    ``threshold``; the right panel draws that level as a dotted line.
    Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    steps : array, shape (m,)
    curves : dict
        Label -> array (m,) of ``||sin Theta||_F``; a label containing
        ``"linear"`` is drawn dashed in the linear loss's colour.
    logit_size : array, shape (m,)
        ``max |K_ij|`` along the run.
    threshold : float
        Level of the logits that ends the power-iteration phase.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = figure(2, 1, width=9.0, height=3.4)
    ax1, ax2 = axes.ravel()
    steps, logit_size = np.asarray(steps), np.asarray(logit_size)
    above = np.flatnonzero(logit_size >= threshold)
    end = steps[above[0]] if above.size else steps[-1]
    for i, (label, values) in enumerate(curves.items()):
        is_linear = "linear" in label
        ax1.plot(
            steps,
            values,
            label=label,
            ls="--" if is_linear else "-",
            color=METHOD_COLORS["linear"] if is_linear else PALETTE[(i + 1) % len(PALETTE)],
        )
    ax2.semilogy(steps, logit_size, color=METHOD_COLORS["CLIP"], label="CLIP")
    ax2.axhline(threshold, color=PALETTE[7], ls=":", lw=1, label=f"{threshold:g}")
    for ax in (ax1, ax2):
        ax.axvspan(steps[0], end, color=PALETTE[5], alpha=0.15, lw=0)
        ax.set_xlabel("iteration t")
    ax1.set(
        ylabel=r"subspace error $\|\sin\Theta\|_F$",
        title="Subspace error of $G_1$ (shaded: power phase)",
        ylim=(0, None),
    )
    ax2.set(ylabel=r"largest logit $\max_{ij} |K_{ij}|$", title="Size of the logits")
    ax1.legend(loc="upper right")
    ax2.legend(loc="lower right")
    return fig


def selection_coefficients(coefficients):
    """Coefficients of ``rho G1^T G2`` on each singular triple of ``S(beta_hat)``.

    Introduced in the chapter `loss_to_svd`.

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
    ax.set(
        xlabel=r"index k of the singular triple of $S(\hat\beta)$ (1 = largest)",
        ylabel=r"$u_k^\top (\rho G_1^\top G_2) v_k / \sigma_k$",
        ylim=(-0.1, 1.25),
    )
    ax.legend(ncol=min(m, 3), loc="upper center")
    return fig


def selection_map(selected, taus, rhos, k, subspace_error, linear_error):
    """Which triples each ``(tau, rho)`` selects, and the subspace error it reaches.

    One row per grid point, sorted by ``tau * rho``.

    Introduced in the chapter `loss_to_svd`.

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
    rows = sorted(
        ((a, b) for a in range(T) for b in range(R)), key=lambda ab: taus[ab[0]] * rhos[ab[1]]
    )
    grid = np.zeros((len(rows), k))
    for i, (a, b) in enumerate(rows):
        grid[i, selected[a, b]] = 1.0
    labels = [
        rf"$\tau\rho$={taus[a] * rhos[b]:g} ($\tau$={taus[a]:g}, $\rho$={rhos[b]:g})"
        for a, b in rows
    ]
    fig, axes = figure(
        2, 1, width=10.0, height=0.3 * len(rows) + 1.6, gridspec_kw={"width_ratios": [1.3, 1.0]}
    )
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
    ax1.set(
        xlabel=r"selected singular triple of $S(\hat\beta)$ (1 = largest)", title="Selected triples"
    )
    err = np.array([subspace_error[a, b] for a, b in rows])
    ax2.barh(np.arange(len(rows)), err, color=METHOD_COLORS["CLIP"], label="CLIP, converged")
    ax2.axvline(
        linear_error, color=METHOD_COLORS["linear"], ls="--", label="linear loss (closed form)"
    )
    ax2.set_yticks(np.arange(len(rows)), [])
    ax2.set_ylim(len(rows) - 0.5, -0.5)
    ax2.set(xlabel=r"subspace error $\|\sin\Theta(G_1^\top, U_1)\|_F$ (lower is better)")
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
    Introduced in the chapter `loss_to_svd`.

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


def _log_weights(beta, n_show):
    """``log10`` of the off-diagonal weights over the linear loss's, and a symmetric limit."""
    with np.errstate(divide="ignore"):
        rel = np.log10(_relative_offdiagonal(beta)[:n_show, :n_show])
    finite = rel[np.isfinite(rel)]
    lim = max(np.percentile(np.abs(finite), 99), 0.1) if finite.size else 1.0
    return rel, steady_limit(lim)


def beta_spectrum_view(
    fig, beta, singular_values, linear_singular_values, selected, *, n_show=40, title=""
):
    """Explorer view: CLIP weights (left) and the spectrum of ``S(beta)`` (right).

    Drawn with a fixed layout and no minor ticks; returns an ``update`` that
    changes the artists in place (image, colour limits, bar heights and
    colours, title), so a slider move does not rebuild the axes. The colour
    scale is symmetric about 0 (the linear loss's weight) and fits the 99th
    percentile of the view's values. Introduced in the chapter `loss_to_svd`.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Empty figure to draw on.
    beta : array, shape (n, n)
    singular_values : array, shape (k,)
        Of ``S(beta)``.
    linear_singular_values : array, shape (k,)
        Of the linear loss's ``S``; with ``singular_values`` it fixes the y range.
    selected : array of int
        Indices of the selected triples, highlighted.
    n_show : int
        Number of samples shown in the heatmap.
    title : str

    Returns
    -------
    update : callable
        ``update(beta, singular_values, selected, title)``.
    """
    fig.set_layout_engine("none")
    left = fig.add_gridspec(
        1, 2, width_ratios=[1.0, 0.05], left=0.06, right=0.40, bottom=0.15, top=0.82, wspace=0.05
    )
    ax1, cax = fig.add_subplot(left[0]), fig.add_subplot(left[1])
    ax2 = fig.add_subplot(fig.add_gridspec(1, 1, left=0.56, right=0.98, bottom=0.15, top=0.82)[0])
    rel, lim = _log_weights(beta, n_show)
    im = ax1.imshow(rel, vmin=-lim, vmax=lim, cmap="PuOr_r", interpolation="nearest")
    im.set_zorder(1)  # above the axis (0.5): a move redraws the image, not the ticks
    ax1.grid(False)
    # plain text (no mathtext) and plain tick labels: the view is redrawn on every move
    ax1.set(title="log10 of n(n−1) βᵢⱼ, i ≠ j", xlabel="j", ylabel="i")
    fig.colorbar(im, cax=cax).set_label("0 = linear loss", fontsize=9)
    k = np.arange(1, len(singular_values) + 1)
    grey, orange = "#bbbbbb", METHOD_COLORS["CLIP"]
    bars = ax2.bar(k - 0.2, singular_values, width=0.4, color=grey, label="S(β̂)")
    ax2.bar(
        k + 0.2,
        linear_singular_values,
        width=0.4,
        color=METHOD_COLORS["linear"],
        label="S_lin",
    )
    ax2.bar([np.nan], [np.nan], color=orange, label="selected")
    ax2.set_yscale("log")
    low = min(np.min(singular_values), np.min(linear_singular_values))
    ax2.set_ylim(low / 3, np.max(linear_singular_values) * 30)
    ax2.yaxis.set_minor_locator(mpl.ticker.NullLocator())
    ax2.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax2.set_xticks(k)
    ax2.set(xlabel="singular index k", ylabel="singular value σₖ", title="Spectra")
    ax2.legend(loc="upper right", ncol=3, fontsize=9)
    heading = fig.suptitle(title, fontsize=10)

    def update(beta, singular_values, selected, title=""):
        rel, lim = _log_weights(beta, n_show)
        im.set_data(rel)
        im.set_clim(-lim, lim)
        chosen = set(np.asarray(selected).tolist())
        for i, (bar, value) in enumerate(zip(bars, singular_values)):
            bar.set_height(value)
            bar.set_color(orange if i in chosen else grey)
        heading.set_text(title)

    update(beta, singular_values, selected, title)
    return update


#: Temperatures and regulariser weights of the explorer's default grid.
EXPLORER_TAUS = (0.5, 1.0, 2.0, 5.0)
EXPLORER_RHOS = (0.05, 0.2, 1.0)


@register("loss_to_svd")
def explorer(X=None, Y=None, grid=None, *, r: int = 3, n: int = 80, rng=0) -> Explorer:
    """Explorer of the chapter `loss_to_svd`.

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
        ``EXPLORER_TAUS x EXPLORER_RHOS``.
    r : int
        Representation dimension when the grid is computed here.
    n : int
        Size of the default sample.
    rng : numpy.random.Generator or int
        Draws the default sample and the grid's start.

    Returns
    -------
    Explorer

    Examples
    --------
    >>> from mmcl.figures import loss_to_svd
    >>> explorer = loss_to_svd.explorer(n=40)
    >>> sorted(explorer.compute(**explorer.defaults))
    ['beta', 'linear_singular_values', 'selected', 'singular_values']
    """
    import ipywidgets as w

    rng = as_generator(rng)
    if X is None and Y is None:
        if grid is not None:
            raise ValueError("grid was given without the data X, Y it was computed on")
        X, Y, _ = chapter_sample(n, rng=rng)
    X, Y = as_pair(X, Y)
    if grid is None:
        grid = selection_grid(X, Y, r, taus=EXPLORER_TAUS, rhos=EXPLORER_RHOS, rng=rng)
    if not isinstance(grid, SelectionGrid):
        raise TypeError(
            f"grid must be a SelectionGrid (from mmcl.selection_grid); got {type(grid).__name__}"
        )
    if grid.G1.shape[-1] != X.shape[1] or grid.G2.shape[-1] != Y.shape[1]:
        raise ValueError("grid must be computed on data with the dimensions of X and Y")
    s_lin = np.linalg.svd(linear_cross_covariance(X, Y), compute_uv=False)
    taus, rhos = [float(t) for t in grid.taus], [float(p) for p in grid.rhos]

    def compute(tau, rho):
        a, b = taus.index(tau), rhos.index(rho)
        beta = clip_loss(tau=tau, rho=rho).weights(grid.G1[a, b], grid.G2[a, b], X, Y)
        return {
            "beta": beta,
            "singular_values": grid.singular_values[a, b],
            "linear_singular_values": s_lin,
            "selected": grid.selected[a, b],
        }

    def title(data, params):
        chosen = ", ".join(str(k + 1) for k in data["selected"])
        return (
            f"Converged CLIP, tau = {params['tau']:g}, rho = {params['rho']:g} "
            f"(tau rho = {params['tau'] * params['rho']:g}): selected triples {chosen}"
        )

    def draw(fig, data, params):
        update = beta_spectrum_view(
            fig,
            data["beta"],
            grid.singular_values.min(axis=(0, 1)),
            data["linear_singular_values"],
            data["selected"],
        )

        def redraw(data, params):
            update(data["beta"], data["singular_values"], data["selected"], title(data, params))

        redraw(data, params)
        return redraw

    def slider(name, values, default):
        value = min(values, key=lambda v: abs(v - default))
        return w.SelectionSlider(
            options=[(f"{v:g}", v) for v in values], value=value, description=name
        )

    controls = {"tau": slider("tau", taus, 1.0), "rho": slider("rho", rhos, 0.2)}
    return Explorer(compute, draw, controls, figsize=(8.5, 3.4))
