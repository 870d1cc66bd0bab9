"""Charts of the statistics page, drawn by pygal as SVG on the server (no script, no CDN).

Each chart is returned as a ``data:`` URI for an ``<img>``: the page's Content-Security-Policy
allows images from ``data:``, and an SVG shown as an image runs nothing.
"""

from __future__ import annotations

import base64

import pygal
from pygal.style import CleanStyle

from results.statistics import ItemStats

_CONFIG = {
    "style": CleanStyle,
    "js": [],  # pygal's tooltips load a script from a CDN: none here
    "disable_xml_declaration": False,
    "show_legend": False,
    "width": 640,
    "height": 300,
    "explicit_size": True,
}


def _uri(chart: pygal.graph.graph.Graph) -> str:
    svg = chart.render()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def score_histogram(bins: list[tuple[float, float, int]], *, title: str) -> str:
    chart = pygal.Histogram(title=title, **_CONFIG)
    chart.add("", [(count, start, end) for start, end, count in bins])
    return _uri(chart)


def choice_bars(item: ItemStats, *, title: str) -> str:
    chart = pygal.Bar(title=title, **{**_CONFIG, "height": 200, "width": 360})
    chart.x_labels = list(item.choices)
    chart.add("", list(item.choices.values()))
    return _uri(chart)


def facility_discrimination(items: list[ItemStats], *, title: str) -> str:
    chart = pygal.XY(title=title, stroke=False, x_title="facility", y_title="discrimination",
                     **{**_CONFIG, "show_legend": False})
    chart.add("", [
        {"value": (round(i.facility, 3), round(i.discrimination, 3)), "label": str(i.position)}
        for i in items if i.facility is not None and i.discrimination is not None
    ])
    return _uri(chart)
