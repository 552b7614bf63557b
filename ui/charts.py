"""Charts drawn from the advisor's facts and fit results, never from numbers typed here.

Each function returns an inline SVG: text the page shows crisp at any zoom, read by screen
readers through its title, and drawn by a few lines here rather than by matplotlib (80 MB of
plotting library in every install for four charts). Charts sit on a light card so they read the
same in the page's light and dark themes.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathwise.agent.models import FitResult
    from pathwise.knowledge.facts import FactSheet

PATH_LABEL = {"engineering": "AI Engineer", "automation": "AI Automation Specialist"}
COLOR = {"engineering": "#4f46e5", "automation": "#d97706"}  # indigo / amber: apart for colour-blind readers too
INK = "#1f2937"
MUTED = "#6b7280"
CARD = "#ffffff"
GRID = "#e5e7eb"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
LINE = 1.25  # line height, in ems


def rupees(value: float) -> str:
    """₹ in the article's own units: 50L, 1.5L, 30k."""
    if value >= 100_000:
        return f"₹{value / 100_000:g}L"
    if value >= 1_000:
        return f"₹{value / 1_000:g}k"
    return f"₹{value:g}"


def period_label(months_from: int, months_to: int | None) -> str:
    return f"months {months_from}+" if months_to is None else f"months {months_from}-{months_to}"


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 12,
    color: str = INK,
    anchor: str = "start",
    bold: bool = False,
    valign: str = "baseline",
    cls: str = "",
    rotate: bool = False,
) -> str:
    """A label; its lines ("\n") stacked so that ``valign`` (top, middle, bottom) holds for the whole block."""
    lines = text.split("\n")
    height = (len(lines) - 1) * LINE * size
    first = {"top": y + 0.8 * size, "middle": y + 0.35 * size - height / 2, "bottom": y - height}.get(valign, y)
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{first + i * LINE * size:.1f}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    attrs = f'font-size="{size}" fill="{color}" text-anchor="{anchor}"' + (' font-weight="bold"' if bold else "")
    attrs += f' class="{cls}"' if cls else ""
    attrs += f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return f"<text {attrs}>{spans}</text>"


def _width(text: str, size: float) -> float:
    """About how wide a bold label is drawn: its longest line at 0.62 em a character."""
    return max(len(line) for line in text.split("\n")) * 0.62 * size


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'style="width:100%;height:auto;display:block" font-family="{FONT}">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{width}" height="{height}" rx="6" fill="{CARD}"/>' + "".join(body) + "</svg>"
    )


def income_chart(facts: FactSheet, *, compact: bool = False) -> str:
    """Each income band as a box: its months across, its ₹ range up (log scale), both paths on one axis.

    ``compact`` draws it narrow and tall for a phone's width.
    """
    bands = facts.incomes
    priced = [b for b in bands if b.low is not None and b.high is not None and b.high > 0]
    last_start = max(b.months_from for b in bands)
    end = max([b.months_to or 0 for b in bands] + [last_start + 12])
    floor = min(b.low for b in priced if b.low) / 2.5
    top = max(b.high for b in priced if b.high is not None) * 2.5  # priced has them all: this says so to mypy

    width, height = (470, 600) if compact else (880, 500)
    size = 13 if compact else 12
    left, right, plot_top, bottom = 62, width - 16, 40, height - (62 if compact else 48)
    suffix = "phone" if compact else "wide"

    def x(months: float) -> float:
        return left + (right - left) * months / end

    def y(rupee: float) -> float:
        return plot_top + (bottom - plot_top) * (math.log(top) - math.log(rupee)) / (math.log(top) - math.log(floor))

    out = [
        "<defs>"
        + "".join(
            f'<pattern id="pw-hatch-{p}-{suffix}" width="10" height="10" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="10" stroke="{c}" stroke-width="1.5" '
            'stroke-opacity="0.6"/></pattern>'
            for p, c in COLOR.items()
        )
        + "</defs>"
    ]
    ticks = [t for t in (10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000) if floor <= t <= top]
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{GRID}"/>')
        out.append(_text(left - 6, y(t), rupees(t), size=size - 1, anchor="end", valign="middle"))
    for m in sorted({b.months_from for b in bands} | {b.months_to for b in bands if b.months_to}):
        out.append(f'<line x1="{x(m):.1f}" x2="{x(m):.1f}" y1="{bottom}" y2="{bottom + 4}" stroke="{MUTED}"/>')
        out.append(_text(x(m), bottom + 6, str(m), size=size - 1, anchor="middle", valign="top"))
    out.append(f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="{GRID}"/>')

    for b in bands:
        color = COLOR[b.path]
        x0, x1 = x(b.months_from), x(b.months_to if b.months_to is not None else end)
        data = f'class="pw-band" data-path="{b.path}" data-months="{period_label(b.months_from, b.months_to)}"'
        if b.low is None or b.high is None:
            out.append(
                f'<rect {data} data-rupees="none" x="{x0:.1f}" y="{plot_top}" width="{x1 - x0:.1f}" height="{bottom - plot_top}" '
                f'fill="url(#pw-hatch-{b.path}-{suffix})"/>'
            )
            label = f"{b.figure.replace(' rates', chr(10) + 'rates')}\n(no ₹ figure)"
            out.append(_text(x0 + 8, bottom - 10, label, size=size, color=color, bold=True, valign="bottom", cls="pw-label"))
            continue
        if b.high <= 0:
            out.append(
                f'<rect {data} data-rupees="0" x="{x0:.1f}" y="{bottom - 9}" width="{x1 - x0:.1f}" height="6" fill="{color}"/>'
            )
            out.append(_text(x0 + 4, bottom - 14, b.figure, size=size, color=color, bold=True, cls="pw-label"))
            continue
        open_ended = b.months_to is None
        out.append(
            f'<rect {data} data-rupees="{b.low:g}-{b.high:g}" x="{x0:.1f}" y="{y(b.high):.1f}" width="{x1 - x0:.1f}" '
            f'height="{y(b.low) - y(b.high):.1f}" fill="{color}" fill-opacity="{0.22 if open_ended else 0.3}" stroke="{color}" '
            f'stroke-width="1.4"' + (' stroke-dasharray="5 3"' if open_ended else "") + "/>"
        )
        basis = {"per project": "a project", "per month": "a month"}.get(b.basis, "period not stated")
        label = f"{b.figure}{chr(10) if compact else ' '}({basis})"
        # a label that would run off the card ends at its edge instead
        wide = x0 + 5 + _width(label, size) > width - 6
        out.append(
            _text(
                width - 6 if wide else x0 + 5,
                y(b.high) - 5,
                label,
                size=size,
                color=color,
                bold=True,
                valign="bottom",
                cls="pw-label",
                anchor="end" if wide else "start",
            )
        )

    # Like with like: the bands are drawn in the article's own units, never converted into one.
    units = "₹ per project, per month, or period not stated"
    caption = f"months in\n{units}" if compact else f"months in (each path's last band is open-ended); {units}"
    out.append(_text((left + right) / 2, bottom + 26, caption, size=size - 1, color=MUTED, anchor="middle", cls="pw-caption"))
    out.append(_text(16, (plot_top + bottom) / 2, "₹ (log scale)", size=size - 1, color=MUTED, anchor="middle", rotate=True))
    title = "Income by period" if compact else "Income by period, as the article states it"
    out.append(_text(left, 22, title, size=size + 3))
    for row, (p, c) in enumerate(COLOR.items()):
        ly = plot_top + 8 + row * (size + 8)
        out.append(f'<rect x="{left + 10}" y="{ly}" width="22" height="{size}" fill="{c}" fill-opacity="0.5" stroke="{c}"/>')
        out.append(_text(left + 40, ly + size / 2, PATH_LABEL[p], size=size, valign="middle"))
    return _svg(
        width,
        height,
        title + ": " + "; ".join(f"{PATH_LABEL[b.path]} {b.figure} ({period_label(b.months_from, b.months_to)})" for b in bands),
        out,
    )


def burnout_chart(facts: FactSheet, *, compact: bool = False) -> str:
    """When each path's burnout hits, on one months axis."""
    paths = [b.path for b in facts.burnout]
    end = max(b.months_to for b in facts.burnout) + 6
    width, height = (470, 300) if compact else (880, 260)
    size = 13 if compact else 12
    left, plot_top = (120, 44) if compact else (190, 44)
    right, bottom = width - 16, height - 42
    span = end if compact else end + 14  # room on the right for the label beside each bar

    def x(months: float) -> float:
        return left + (right - left) * months / span

    row_h = (bottom - plot_top) / len(paths)
    out = []
    for m in range(0, end + 1, 6):
        out.append(f'<line x1="{x(m):.1f}" x2="{x(m):.1f}" y1="{plot_top}" y2="{bottom}" stroke="{GRID}"/>')
        out.append(_text(x(m), bottom + 6, str(m), size=size - 1, anchor="middle", valign="top"))
    for row, b in enumerate(facts.burnout):
        mid = plot_top + row_h * (row + 0.5)
        bar_h = row_h * 0.5
        out.append(
            f'<rect class="pw-band" data-path="{b.path}" data-months="{period_label(b.months_from, b.months_to)}" '
            f'x="{x(b.months_from):.1f}" y="{mid - bar_h / 2:.1f}" width="{x(b.months_to) - x(b.months_from):.1f}" '
            f'height="{bar_h:.1f}" fill="{COLOR[b.path]}" fill-opacity="0.85"/>'
        )
        label = f"months {b.months_from}-{b.months_to}: {b.causes}"
        if compact:  # above the bar from the left edge, so it never runs off a narrow figure
            out.append(_text(x(0) + 4, mid - bar_h / 2 - 4, label, size=size, cls="pw-label"))
        else:
            out.append(_text(x(b.months_to) + 8, mid, label, size=size, valign="middle", cls="pw-label"))
        name = PATH_LABEL[b.path].replace(" Specialist", "\nSpecialist") if compact else PATH_LABEL[b.path]
        out.append(_text(left - 10, mid, name, size=size, anchor="end", valign="middle"))
    out.append(_text((left + right) / 2, bottom + 24, "months in", size=size - 1, color=MUTED, anchor="middle", valign="top"))
    out.append(_text(left, 22, "When burnout hits", size=size + 3))
    summary = "; ".join(f"{PATH_LABEL[b.path]}: months {b.months_from}-{b.months_to}, {b.causes}" for b in facts.burnout)
    return _svg(width, height, "When burnout hits: " + summary, out)


def fit_chart(result: FitResult) -> str:
    """Both paths' scores as bars; the recommended one solid, the other pale. Small enough to read on a phone."""
    paths = ["engineering", "automation"]
    scores = [result.scores.get(p, 0.0) for p in paths]
    width, height, left, right, plot_top, bottom = 500, 210, 120, 484, 12, 166
    span = max([*scores, 4.0]) + 1

    def x(points: float) -> float:
        return left + (right - left) * points / span

    out = []
    for t in range(0, math.floor(span) + 1):
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{plot_top}" y2="{bottom}" stroke="{GRID}"/>')
        out.append(_text(x(t), bottom + 6, str(t), size=11, anchor="middle", valign="top"))
    row_h = (bottom - plot_top) / len(paths)
    for row, (p, s) in enumerate(zip(paths, scores)):
        mid = plot_top + row_h * (row + 0.5)
        strong = result.recommended in (p, "undecided")
        out.append(
            f'<rect class="pw-bar" data-path="{p}" data-score="{s:g}" x="{left}" y="{mid - row_h * 0.28:.1f}" '
            f'width="{x(s) - left:.1f}" height="{row_h * 0.56:.1f}" fill="{COLOR[p]}" fill-opacity="{0.9 if strong else 0.4}"/>'
        )
        out.append(_text(x(s) + 6, mid, f"{s:g}", size=13, valign="middle", cls="pw-label"))
        out.append(
            _text(left - 10, mid, PATH_LABEL[p].replace(" Specialist", "\nSpecialist"), size=12, anchor="end", valign="middle")
        )
    out.append(
        _text((left + right) / 2, bottom + 24, "points from your answers", size=11, color=MUTED, anchor="middle", valign="top")
    )
    summary = ", ".join(f"{PATH_LABEL[p]} {s:g}" for p, s in zip(paths, scores))
    return _svg(width, height, f"Your fit, in points: {summary}", out)
