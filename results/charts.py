"""Charts of the statistics page, drawn by pygal as SVG on the server (no script, no CDN).

Each chart is returned as a ``data:`` URI for an ``<img>``: the page's Content-Security-Policy
allows images from ``data:``, and an SVG shown as an image runs nothing.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable

import pygal
from django.core.cache import cache
from pygal.style import CleanStyle

from results.selectors_statistics import SessionStatistics
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


CACHE_SECONDS = 7 * 24 * 3600


def cached(key: str, draw: Callable[[], dict[str, str | None]]) -> dict[str, str | None]:
    """The charts ``draw`` returns, kept in the cache under ``key`` (drawing costs ~0.1-0.5 s)."""
    try:
        charts = cache.get(key)
    except Exception:  # the cache is an optimization
        charts = None
    if charts is None:
        charts = draw()
        with contextlib.suppress(Exception):
            cache.set(key, charts, CACHE_SECONDS)
    return charts


def _uri(chart: pygal.graph.graph.Graph) -> str:
    svg = chart.render()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def score_histogram(bins: list[tuple[float, float, int]], *, title: str) -> str:
    chart = pygal.Histogram(title=title, **_CONFIG)
    chart.add("", [(count, start, end) for start, end, count in bins])
    return _uri(chart)


def choice_frequencies(items: list[ItemStats], *, title: str) -> str:
    """One stacked bar per choice question: the share of candidates who picked each option.

    One chart for the whole paper (a chart per question would cost pygal ~10 ms each, a second
    for a hundred questions); the exact counts are in the table beside it.
    """
    chosen = [item for item in items if item.choices]
    keys: list[str] = []
    for item in chosen:
        keys += [key for key in item.choices if key not in keys]
    width = max(640, min(1600, 40 + 14 * len(chosen)))
    chart = pygal.StackedBar(title=title, **{**_CONFIG, "show_legend": True, "width": width, "height": 320,
                                             "legend_at_bottom": True, "x_label_rotation": 0,
                                             "show_minor_x_labels": len(chosen) <= 40})
    chart.x_labels = [str(item.position) for item in chosen]
    chart.x_labels_major = [str(item.position) for item in chosen[::10]]
    for key in keys:
        chart.add(key, [
            round(100 * item.choices[key] / item.answered, 1) if key in item.choices and item.answered else None
            for item in chosen
        ])
    return _uri(chart)


def facility_discrimination(items: list[ItemStats], *, title: str) -> str:
    chart = pygal.XY(title=title, stroke=False, x_title="facility", y_title="discrimination",
                     **{**_CONFIG, "show_legend": False})
    chart.add("", [
        {"value": (round(i.facility, 3), round(i.discrimination, 3)), "label": str(i.position)}
        for i in items if i.facility is not None and i.discrimination is not None
    ])
    return _uri(chart)


def session_charts(*, session_id: int, stats: SessionStatistics) -> dict[str, str | None]:
    """The statistics page's three charts, cached under the figures' fingerprint and language."""
    from django.utils import translation
    from django.utils.translation import gettext as _

    def draw() -> dict[str, str | None]:
        return {
            "histogram": score_histogram(stats.histogram, title=str(_("总分分布"))) if stats.histogram else None,
            "choices_chart": choice_frequencies(stats.items, title=str(_("各选择题选项选择比例（%）")))
            if stats.candidates and any(item.choices for item in stats.items) else None,
            "scatter": facility_discrimination(stats.items, title=str(_("难度（得分率）与区分度")))
            if stats.candidates else None,
        }

    return cached(f"results:charts:{session_id}:{stats.fingerprint}:{translation.get_language()}", draw)
