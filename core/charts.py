"""Charts drawn on the server as SVG (K4, K8, K12, R3): no script, so nothing for the CSP to
block, and the picture is in the page a screenshot or a screen reader gets. Every chart sits beside
a table of the same figures. Colours are GOV.UK's; presentation attributes, not inline styles
(CSP). In core so every app above draws the same charts (kpi and reviews sit side by side and may
not import each other)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BLUE = "#1d70b8"
DARK_BLUE = "#003078"
GREEN = "#00703c"
ORANGE = "#f47738"
RED = "#d4351c"
GREY = "#b1b4b6"
PURPLE = "#4c2c92"
DARK_GREY = "#505a5f"
TEXT = "#0b0c0c"
BAND_COLOURS = {"low": GREEN, "medium": ORANGE, "high": RED}

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 56
FONT_SIZE, SMALLEST = 14, 9
# How wide a character of a chart's text is, as a share of its size: GDS Transport's and Arial's
# figures are about 0.55 em, bold a little more; taken a little over, so what is fitted fits.
CHAR_EM = 0.62


@dataclass
class Bar:
    label: str
    value: float | None
    colour: str = BLUE
    text: str = ""


def _svg(title: str, body: list[str], height: int = HEIGHT) -> SafeString:
    """The chart in a frame that scrolls sideways on a phone, where the chart keeps a width its
    labels can be read at (kpi.css) instead of shrinking them to half their size, with a hint
    shown there alone; the frame can take focus, so a keyboard can scroll it too."""
    slug = abs(hash(title)) % 10**8
    return mark_safe(  # noqa: S308 - every text part below goes through escape()
        f'<div class="kpi-chart-frame" role="region" tabindex="0" aria-label="Chart: '
        f'{escape(title)}"><p class="govuk-body-s kpi-chart-hint">Scroll sideways to see all '
        f'of the chart.</p><svg class="kpi-chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="chart-{slug}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="GDS Transport, arial, sans-serif" font-size="14" fill="{TEXT}">'
        f'<title id="chart-{slug}">{escape(title)}</title>{"".join(body)}</svg></div>'
    )


def nice_top(value: float, ticks: int = 4) -> float:
    """The smallest 'round' axis top at or above `value` whose ticks are whole 1, 2 or 5 steps,
    so a count axis reads 0, 1, 2, 3, 4 or 0, 250, 500... and never 1.15."""
    if value <= 0:
        return ticks
    step = value / ticks
    magnitude = 10 ** math.floor(math.log10(step))
    for nice in (1, 2, 3, 4, 5, 6, 8, 10):
        if nice * magnitude >= step:
            return max(nice * magnitude, 1) * ticks
    return 10 * magnitude * ticks


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """About how wide `text` is drawn at `size` (a little over: see CHAR_EM)."""
    return len(text) * size * CHAR_EM


def fitted_size(labels: list[str], room: float) -> float:
    """The font size at which the widest of `labels` fits in `room` (a bar's slot): the charts'
    own size when it fits, smaller when not (twelve months of '689+689' ran into each other at a
    national market's figures), never under SMALLEST."""
    widest = max((text_width(label, 1) for label in labels), default=0)
    if not widest:
        return FONT_SIZE
    return max(SMALLEST, min(FONT_SIZE, room / widest))


def _size_attr(size: float) -> str:
    return "" if size == FONT_SIZE else f' font-size="{size:.1f}"'


def _left(top_value: float, fmt, ticks: int = 4) -> float:
    """Where the plot starts: far enough in for the widest value on the axis beside it (a
    six-figure count of hours a week was cut off at the chart's edge), never less than LEFT."""
    widest = max(text_width(fmt(top_value * i / ticks)) for i in range(ticks + 1))
    return max(LEFT, math.ceil(widest) + 10)


def _axis(
    top_value: float, fmt, height: int = HEIGHT, ticks: int = 4, left: float = LEFT
) -> list[str]:
    plot_h = height - TOP - BOTTOM
    parts = []
    for i in range(ticks + 1):
        y = TOP + plot_h - plot_h * i / ticks
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GREY}" '
            f'stroke-width="1"/><text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end">'
            f"{escape(fmt(top_value * i / ticks))}</text>"
        )
    return parts


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def bar_chart(
    title: str,
    bars: list[Bar],
    *,
    top_value: float | None = None,
    fmt=percent,
    target: float | None = None,
    target_label: str = "",
) -> SafeString:
    """Vertical bars with a value axis, each labelled underneath; an optional target line. The
    axis moves in for wide values, and the labels above and beneath the bars shrink to their
    slots when they would run into each other."""
    values = [b.value for b in bars if b.value is not None]
    top = top_value or nice_top(max(values, default=0) * 1.08)
    left = _left(top, fmt)
    plot_w, plot_h = WIDTH - left - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(bars), 1)
    parts = _axis(top, fmt, left=left)
    labels = [b.text or ("no data" if b.value is None else fmt(b.value)) for b in bars]
    above, beneath = fitted_size(labels, slot - 4), fitted_size([b.label for b in bars], slot - 4)
    for i, (bar, label) in enumerate(zip(bars, labels, strict=True)):
        x = left + slot * i + slot * 0.15
        w = slot * 0.7
        h = 0 if bar.value is None else plot_h * min(bar.value / top, 1)
        y = TOP + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{bar.colour}"/>'
        )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{max(y - 5, TOP + 12):.1f}" text-anchor="middle" '
            f'font-weight="bold"{_size_attr(above)}>{escape(label)}</text>'
            f'<text x="{x + w / 2:.1f}" y="{HEIGHT - BOTTOM + 20}" text-anchor="middle"'
            f"{_size_attr(beneath)}>{escape(bar.label)}</text>"
        )
    if target is not None:
        y = TOP + plot_h - plot_h * min(target / top, 1)
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{TEXT}" '
            f'stroke-width="2" stroke-dasharray="6 4"/><text x="{WIDTH - RIGHT}" y="{y - 6:.1f}" '
            f'text-anchor="end">{escape(target_label)}</text>'
        )
    return _svg(title, parts)


def stacked_bands(title: str, columns: list[tuple[str, dict[str, int]]]) -> SafeString:
    """One 100% column per quarter, split into the share of providers in each band (K2)."""
    order = ("low", "medium", "high")
    return stacked_columns(
        title,
        [(label, [bands.get(band, 0) for band in order]) for label, bands in columns],
        [(f"{band.capitalize()} risk", BAND_COLOURS[band]) for band in order],
        shares=True,
    )


def stacked_columns(
    title: str,
    columns: list[tuple[str, list[float]]],
    legend: list[tuple[str, str]],
    *,
    fmt=lambda v: f"{v:,.0f}",
    shares: bool = False,
) -> SafeString:
    """A column per label split into coloured parts, one per `legend` entry (its name and colour),
    in the legend's order from the bottom, with the legend beneath. With `shares` each column is
    its parts' shares of 100%, each share written in its part where it fits (K2's bands);
    otherwise the columns stand on a value axis with each total above (new packages a month,
    long-term and short-term). Colour is never the only sign: the table beside gives each part."""
    totals = [sum(values) for _, values in columns]
    top = 1 if shares else nice_top(max(totals, default=0) * 1.08)
    axis_fmt = percent if shares else fmt
    left = _left(top, axis_fmt)
    plot_w, plot_h = WIDTH - left - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(columns), 1)
    parts = _axis(top, axis_fmt, left=left)
    above = fitted_size([fmt(t) for t in totals], slot - 4)
    beneath = fitted_size([label for label, _ in columns], slot - 4)
    for i, ((label, values), total) in enumerate(zip(columns, totals, strict=True)):
        x, w = left + slot * i + slot * 0.15, slot * 0.7
        y = TOP + plot_h
        for value, (_, colour) in zip(values, legend, strict=True):
            share = (value / total if total else 0) if shares else value / top
            h = plot_h * min(share, 1)
            y -= h
            if h:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                    f'fill="{colour}" stroke="#ffffff" stroke-width="1"/>'
                )
                if shares and h >= 18:
                    parts.append(
                        f'<text x="{x + w / 2:.1f}" y="{y + h / 2 + 5:.1f}" text-anchor="middle" '
                        f'fill="#ffffff" font-weight="bold">{percent(share)}</text>'
                    )
        if not shares:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{max(y - 5, TOP + 12):.1f}" text-anchor="middle" '
                f'font-weight="bold"{_size_attr(above)}>{escape(fmt(total))}</text>'
            )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{HEIGHT - BOTTOM + 20}" text-anchor="middle"'
            f"{_size_attr(beneath)}>{escape(label)}</text>"
        )
    legend_y, lx = HEIGHT - 12, float(left)
    for name, colour in legend:
        parts.append(
            f'<rect x="{lx:.1f}" y="{legend_y - 11}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{lx + 20:.1f}" y="{legend_y + 1}">{escape(name)}</text>'
        )
        lx += 20 + text_width(name) + 24
    return _svg(title, parts)


def spread_chart(title: str, rates: list[float], you: float | None, bins: int = 10) -> SafeString:
    """How many providers have a response rate in each ten-point band, with 'you' marked (K4).

    Anonymous: only counts per band are drawn, never a provider."""
    counts = [0] * bins
    for rate in rates:
        counts[min(int(rate * bins), bins - 1)] += 1
    you_bin = None if you is None else min(int(you * bins), bins - 1)
    bars = [
        Bar(
            label=f"{i * 100 // bins}–{(i + 1) * 100 // bins if i < bins - 1 else 100}",
            value=n,
            colour=DARK_BLUE if i == you_bin else GREY,
            text=f"{n}" + (" (you)" if i == you_bin else ""),
        )
        for i, n in enumerate(counts)
    ]
    return bar_chart(title, bars, fmt=lambda v: f"{v:.0f}")


def hbar_chart(title: str, bars: list[Bar], *, fmt=lambda v: f"{v:.0f}") -> SafeString:
    """Horizontal bars, for categories with long names (service levels): name on the left."""
    label_w, row_h, top = 250, 34, nice_top(max((b.value or 0 for b in bars), default=0) * 1.08)
    height = TOP + row_h * len(bars) + 30
    plot_w = WIDTH - label_w - RIGHT - 30
    parts = []
    for i in range(5):
        x = label_w + plot_w * i / 4
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{height - 24}" stroke="{GREY}"/>'
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">{escape(fmt(top * i / 4))}</text>'
        )
    for i, bar in enumerate(bars):
        y = TOP + row_h * i
        w = plot_w * min((bar.value or 0) / top, 1)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row_h / 2 + 5:.1f}" text-anchor="end">{escape(bar.label)}</text>'
            f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" fill="{bar.colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + row_h / 2 + 5:.1f}" font-weight="bold">'
            f"{escape(bar.text or fmt(bar.value or 0))}</text>"
        )
    return _svg(title, parts, height=height)


# One colour per part of a stacked bar, in order (K12's decline reasons); GOV.UK colours.
PART_COLOURS = [RED, ORANGE, BLUE, PURPLE, GREEN, DARK_GREY]


@dataclass
class StackedRow:
    label: str
    parts: list[int]  # one count per legend entry, in the legend's order
    text: str = ""  # beside the bar: e.g. the total and a share


def stacked_hbar_chart(title: str, legend: list[str], rows: list[StackedRow]) -> SafeString:
    """Horizontal bars split into coloured parts (one per `legend` entry), a name on the left,
    `text` on the right, and the legend beneath (K12: declines by reason where the market is
    short). Colour is never the only sign: the table beside names every count."""
    label_w, row_h, text_w = 190, 30, 150
    total = nice_top(max((sum(r.parts) for r in rows), default=0) * 1.02)
    plot_w = WIDTH - label_w - RIGHT - text_w
    legend_h = 22 * math.ceil(len(legend) / 2)
    height = TOP + row_h * max(len(rows), 1) + 12 + legend_h
    parts = []
    for i, row in enumerate(rows):
        y, x = TOP + row_h * i, float(label_w)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row_h / 2 + 5:.1f}" text-anchor="end">'
            f"{escape(_clip(row.label, 24))}</text>"
        )
        for n, colour in zip(row.parts, PART_COLOURS, strict=False):
            w = plot_w * n / total
            if w:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                    f'fill="{colour}" stroke="#ffffff" stroke-width="1"/>'
                )
            x += w
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + row_h / 2 + 5:.1f}" font-weight="bold">'
            f"{escape(row.text)}</text>"
        )
    legend_y = TOP + row_h * max(len(rows), 1) + 12
    for j, (name, colour) in enumerate(zip(legend, PART_COLOURS, strict=False)):
        lx, ly = LEFT + (j % 2) * 290, legend_y + 22 * (j // 2)
        parts.append(
            f'<rect x="{lx}" y="{ly}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{lx + 20}" y="{ly + 12}">{escape(name)}</text>'
        )
    return _svg(title, parts, height=height)


def _clip(text: str, length: int) -> str:
    """A long name cut to fit beside its bar (the table beside gives it whole)."""
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
