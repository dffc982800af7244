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
TEXT = "#0b0c0c"
BAND_COLOURS = {"low": GREEN, "medium": ORANGE, "high": RED}

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 56


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


def _axis(top_value: float, fmt, height: int = HEIGHT, ticks: int = 4) -> list[str]:
    plot_h = height - TOP - BOTTOM
    parts = []
    for i in range(ticks + 1):
        y = TOP + plot_h - plot_h * i / ticks
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GREY}" '
            f'stroke-width="1"/><text x="{LEFT - 6}" y="{y + 5:.1f}" text-anchor="end">'
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
    """Vertical bars with a value axis, each labelled underneath; an optional target line."""
    values = [b.value for b in bars if b.value is not None]
    top = top_value or nice_top(max(values, default=0) * 1.08)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(bars), 1)
    parts = _axis(top, fmt)
    for i, bar in enumerate(bars):
        x = LEFT + slot * i + slot * 0.15
        w = slot * 0.7
        h = 0 if bar.value is None else plot_h * min(bar.value / top, 1)
        y = TOP + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{bar.colour}"/>'
        )
        label = bar.text or ("no data" if bar.value is None else fmt(bar.value))
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{max(y - 5, TOP + 12):.1f}" text-anchor="middle" '
            f'font-weight="bold">{escape(label)}</text>'
            f'<text x="{x + w / 2:.1f}" y="{HEIGHT - BOTTOM + 20}" text-anchor="middle">'
            f"{escape(bar.label)}</text>"
        )
    if target is not None:
        y = TOP + plot_h - plot_h * min(target / top, 1)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{TEXT}" '
            f'stroke-width="2" stroke-dasharray="6 4"/><text x="{WIDTH - RIGHT}" y="{y - 6:.1f}" '
            f'text-anchor="end">{escape(target_label)}</text>'
        )
    return _svg(title, parts)


def stacked_bands(title: str, columns: list[tuple[str, dict[str, int]]]) -> SafeString:
    """One 100% column per quarter, split into the share of providers in each band (K2)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(columns), 1)
    parts = _axis(1, percent)
    for i, (label, bands) in enumerate(columns):
        total = sum(bands.values())
        x, w = LEFT + slot * i + slot * 0.15, slot * 0.7
        y = TOP + plot_h
        for band in ("low", "medium", "high"):
            share = bands.get(band, 0) / total if total else 0
            h = plot_h * share
            y -= h
            if h:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                    f'fill="{BAND_COLOURS[band]}" stroke="#ffffff" stroke-width="1"/>'
                )
                if h >= 18:
                    parts.append(
                        f'<text x="{x + w / 2:.1f}" y="{y + h / 2 + 5:.1f}" text-anchor="middle" '
                        f'fill="#ffffff" font-weight="bold">{percent(share)}</text>'
                    )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{HEIGHT - BOTTOM + 20}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    legend_y = HEIGHT - 12
    for j, band in enumerate(("low", "medium", "high")):
        lx = LEFT + j * 150
        parts.append(
            f'<rect x="{lx}" y="{legend_y - 11}" width="14" height="14" fill="{BAND_COLOURS[band]}"/>'
            f'<text x="{lx + 20}" y="{legend_y + 1}">{band.capitalize()} risk</text>'
        )
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


PURPLE = "#4c2c92"
DARK_GREY = "#505a5f"
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
