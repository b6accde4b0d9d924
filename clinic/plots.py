"""Draw a report's chart on the server as SVG (matplotlib's SVG backend, no pyplot).

The page embeds the SVG as an image (`data:` URL): an image runs no script and is outside
the page's strict content security policy, which forbids the inline styles matplotlib
writes. Text alternatives are the page's: the caption with the key figure and the table.
Colours are the Okabe–Ito palette (told apart with colour-blindness, and in grey on paper
by the dashed and dotted lines).
"""

from __future__ import annotations

import base64
import hashlib
import io
import textwrap

import matplotlib
from django.core.cache import cache
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from clinic.reports import Chart

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]
LINE_STYLES = ["-", "--", ":", "-."]
MAX_LABELS = 16
# A chart is a pure function of its numbers: the drawing is kept (by a hash of the numbers)
# so a report looked at again redraws nothing. Bump the version when the drawing changes.
CACHE_VERSION = 2
CACHE_SECONDS = 24 * 3600
_RC = {
    "svg.fonttype": "none",  # text stays text: smaller, and sharp when printed
    "svg.hashsalt": "chairside",  # the same chart gives the same file
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def chart_svg(chart: Chart) -> str:
    """Return the chart as an SVG document."""
    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(7.2, 3.4))
        axes = figure.add_subplot()
        _draw(axes, chart)
        # Fixed margins: a layout engine would measure every label again (half the time).
        figure.subplots_adjust(
            left=0.34 if chart.horizontal else 0.09,
            right=0.74 if len(chart.series) > 1 else 0.97,
            bottom=0.12 if chart.horizontal else 0.24,
            top=0.96,
        )
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def chart_data_url(chart: Chart) -> str:
    """Return the chart as a `data:` URL for an <img> (allowed by the CSP's img-src)."""
    key = hashlib.sha256(repr((CACHE_VERSION, chart)).encode()).hexdigest()
    cached = cache.get(f"report-chart:{key}")
    if cached is None:
        encoded = base64.b64encode(chart_svg(chart).encode()).decode("ascii")
        cached = f"data:image/svg+xml;base64,{encoded}"
        cache.set(f"report-chart:{key}", cached, CACHE_SECONDS)
    return cached


def _draw(axes: object, chart: Chart) -> None:
    positions = list(range(len(chart.categories)))
    bars = [s for s in chart.series if s.style == "bar"]
    width = 0.8 if chart.stacked or len(bars) <= 1 else 0.8 / len(bars)
    bottoms = [0.0] * len(positions)
    line_number = 0
    for index, series in enumerate(chart.series):
        colour = PALETTE[index % len(PALETTE)]
        values = [v if v is not None else 0.0 for v in series.values]
        if series.style == "bar":
            number = bars.index(series)
            if chart.stacked:
                where = positions
            else:
                where = [p - 0.4 + width * (number + 0.5) for p in positions]
            draw = axes.barh if chart.horizontal else axes.bar
            extra = {"left": bottoms} if chart.horizontal else {"bottom": bottoms}
            draw(where, values, width, label=series.label, color=colour, **extra)
            if chart.stacked:
                bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        else:
            style = LINE_STYLES[line_number % len(LINE_STYLES)]
            line_number += 1
            plot = axes.step if series.style == "step" else axes.plot
            extra = {"where": "mid"} if series.style == "step" else {"marker": "o", "ms": 3}
            plot(positions, values, style, label=series.label, color=colour, lw=2, **extra)
    step = max(1, -(-len(positions) // MAX_LABELS))
    ticks = positions[::step]
    labels = [textwrap.shorten(chart.categories[p], 40, placeholder="…") for p in ticks]
    if chart.horizontal:
        labels = [textwrap.fill(label, 22) for label in labels]
    if chart.horizontal:
        axes.set_yticks(ticks, labels)
        axes.invert_yaxis()
        axes.set_xlabel(chart.y_label)
    else:
        rotate = 45 if any(len(label) > 5 for label in labels) and len(labels) > 5 else 0
        axes.set_xticks(ticks, labels, rotation=rotate, ha="right" if rotate else "center")
        axes.set_ylabel(chart.y_label)
    counts = all(isinstance(v, int) for s in chart.series for v in s.values if v is not None)
    if counts:  # no "2.5 flags" on the scale of a count
        (axes.xaxis if chart.horizontal else axes.yaxis).set_major_locator(
            MaxNLocator(integer=True)
        )
    axes.grid(axis="x" if chart.horizontal else "y", color="#dddddd", lw=0.6)
    axes.set_axisbelow(True)
    if len(chart.series) > 1:
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
