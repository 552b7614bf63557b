"""Charts drawn from the advisor's facts and fit results, never from numbers typed here.

Each function returns a matplotlib ``Figure`` built without pyplot (no global state, safe
across the server's threads). Figures sit on a light card so they read the same in the
page's light and dark themes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pathwise.agent.models import FitResult
    from pathwise.knowledge.facts import FactSheet

PATH_LABEL = {"engineering": "AI Engineer", "automation": "AI Automation Specialist"}
COLOR = {"engineering": "#4f46e5", "automation": "#d97706"}  # indigo / amber: apart for colour-blind readers too
INK = "#1f2937"
MUTED = "#6b7280"
CARD = "#ffffff"
GRID = "#e5e7eb"


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, facecolor=CARD, layout="constrained")
    return fig


def _style(ax, *, grid_axis: str = "x") -> None:
    ax.set_facecolor(CARD)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.tick_params(colors=INK, labelsize=9)
    ax.grid(axis=grid_axis, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def rupees(value: float) -> str:
    """₹ in the article's own units: 50L, 1.5L, 30k."""
    if value >= 100_000:
        return f"₹{value / 100_000:g}L"
    if value >= 1_000:
        return f"₹{value / 1_000:g}k"
    return f"₹{value:g}"


def period_label(months_from: int, months_to: int | None) -> str:
    return f"months {months_from}+" if months_to is None else f"months {months_from}-{months_to}"


def income_chart(facts: FactSheet, *, compact: bool = False) -> Figure:
    """Each income band as a box: its months across, its ₹ range up (log scale), both paths on one axis.

    ``compact`` draws it narrow and tall for a phone's width.
    """
    from matplotlib.patches import Patch, Rectangle

    bands = facts.incomes
    priced = [b for b in bands if b.low is not None and b.high is not None and b.high > 0]
    last_start = max(b.months_from for b in bands)
    end = max([b.months_to or 0 for b in bands] + [last_start + 12])
    floor = min(b.low for b in priced if b.low) / 2.5
    top = max(b.high for b in priced if b.high is not None) * 2.5  # priced has them all: this says so to mypy

    fig = _figure(*((4.3, 5.4) if compact else (8.0, 4.6)))
    size = 8 if compact else 8.5
    ax = fig.add_subplot()
    _style(ax, grid_axis="y")
    ax.set_yscale("log")
    ax.set_xlim(0, end)
    ax.set_ylim(floor, top)
    for b in bands:
        color = COLOR[b.path]
        right = b.months_to if b.months_to is not None else end
        open_ended = b.months_to is None
        if b.low is None or b.high is None:
            ax.add_patch(
                Rectangle(
                    (b.months_from, floor),
                    right - b.months_from,
                    top - floor,
                    facecolor="none",
                    edgecolor=color,
                    hatch="//",
                    linewidth=0,
                    alpha=0.35,
                )
            )
            ax.text(
                b.months_from + 1,
                floor * 1.25,
                f"{b.figure.replace(' rates', chr(10) + 'rates')}\n(no ₹ figure)",
                ha="left",
                va="bottom",
                fontsize=size,
                color=color,
                fontweight="bold",
            )
            continue
        if b.high <= 0:
            ax.plot([b.months_from, right], [floor * 1.08] * 2, color=color, linewidth=4, solid_capstyle="butt")
            ax.text(
                b.months_from + 0.5, floor * 1.25, b.figure, ha="left", va="bottom", fontsize=size, color=color, fontweight="bold"
            )
            continue
        ax.add_patch(
            Rectangle(
                (b.months_from, b.low),
                right - b.months_from,
                b.high - b.low,
                facecolor=color,
                alpha=0.22 if open_ended else 0.3,
                edgecolor=color,
                linewidth=1.4,
                linestyle="--" if open_ended else "-",
            )
        )
        basis = {"per project": "a project", "per month": "a month"}.get(b.basis, "period not stated")
        label = f"{b.figure}{chr(10) if compact else ' '}({basis})"
        ax.text(b.months_from + 0.5, b.high * 1.12, label, ha="left", va="bottom", fontsize=size, color=color, fontweight="bold")

    ticks = [t for t in (10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000) if floor <= t <= top]
    ax.set_yticks(ticks, [rupees(t) for t in ticks])
    ax.minorticks_off()
    xt = sorted({b.months_from for b in bands} | {b.months_to for b in bands if b.months_to})
    ax.set_xticks(xt)
    # Like with like: the bands are drawn in the article's own units, never converted into one.
    units = "₹ per project, per month, or period not stated"
    ax.set_xlabel(
        f"months in\n{units}" if compact else f"months in (each path's last band is open-ended); {units}", color=MUTED, fontsize=9
    )
    ax.set_ylabel("₹ (log scale)", color=MUTED, fontsize=9)
    ax.legend(
        handles=[Patch(facecolor=COLOR[p], alpha=0.5, edgecolor=COLOR[p], label=PATH_LABEL[p]) for p in COLOR],
        loc="upper left",
        fontsize=9,
        frameon=True,
        facecolor=CARD,
        edgecolor=CARD,
        framealpha=1,
    )
    ax.set_title(
        "Income by period" if compact else "Income by period, as the article states it", color=INK, fontsize=11, loc="left"
    )
    return fig


def burnout_chart(facts: FactSheet, *, compact: bool = False) -> Figure:
    """When each path's burnout hits, on one months axis."""
    paths = [b.path for b in facts.burnout]
    end = max(b.months_to for b in facts.burnout) + 6
    fig = _figure(*((4.3, 3.0) if compact else (8.0, 2.5)))
    ax = fig.add_subplot()
    _style(ax)
    for row, b in enumerate(facts.burnout):
        ax.broken_barh([(b.months_from, b.months_to - b.months_from)], (row - 0.3, 0.6), facecolors=COLOR[b.path], alpha=0.85)
        if compact:  # above the bar from the left edge, so it never runs off a narrow figure
            ax.text(0.5, row - 0.36, f"months {b.months_from}-{b.months_to}: {b.causes}", va="bottom", fontsize=8.5, color=INK)
        else:
            ax.text(
                b.months_to + 0.5, row, f"months {b.months_from}-{b.months_to}: {b.causes}", va="center", fontsize=9, color=INK
            )
    ax.set_yticks(
        range(len(paths)),
        [PATH_LABEL[p].replace(" Specialist", chr(10) + "Specialist") if compact else PATH_LABEL[p] for p in paths],
    )
    ax.set_ylim(-0.85, len(paths) - 0.3)
    ax.invert_yaxis()
    ax.set_xlim(0, end if compact else end + 14)
    ax.set_xticks(range(0, end + 1, 6))
    ax.set_xlabel("months in", color=MUTED, fontsize=9)
    ax.set_title("When burnout hits", color=INK, fontsize=11, loc="left")
    return fig


def fit_chart(result: FitResult) -> Figure:
    """Both paths' scores as bars; the recommended one solid, the other pale. Small enough to read on a phone."""
    paths = ["engineering", "automation"]
    scores = [result.scores.get(p, 0.0) for p in paths]
    fig = _figure(4.6, 2.2)
    ax = fig.add_subplot()
    _style(ax)
    for row, (p, s) in enumerate(zip(paths, scores)):
        strong = result.recommended in (p, "undecided")
        ax.barh(row, s, height=0.55, color=COLOR[p], alpha=0.9 if strong else 0.4)
        ax.text(s + 0.1, row, f"{s:g}", va="center", fontsize=10, color=INK)
    ax.set_yticks(range(len(paths)), [PATH_LABEL[p].replace(" Specialist", "\nSpecialist") for p in paths])
    ax.invert_yaxis()
    ax.set_xlim(0, max([*scores, 4.0]) + 1)
    ax.set_xlabel("points from your answers", color=MUTED, fontsize=9)
    return fig
