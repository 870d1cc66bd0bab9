"""Percentiles and ratio summaries: every figure is reported as median and range over reps."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values: Sequence[float]) -> dict:
    """median, min, max and the list itself (reps in order)."""
    clean = [v for v in values if v is not None and not math.isnan(v)]
    if not clean:
        return {"median": math.nan, "min": math.nan, "max": math.nan, "values": list(values)}
    return {"median": statistics.median(clean), "min": min(clean), "max": max(clean), "values": list(values)}


def ratio(a: float, b: float) -> float:
    if b in (0, None) or a is None or (isinstance(b, float) and math.isnan(b)):
        return math.inf if a else math.nan
    return a / b


def metric(
    name: str, values: Sequence[float], *, goal: str, op: str, target: float, unit: str = "x", note: str = ""
) -> dict:
    """A goal-checked figure: ``op`` is '>=' or '<=' against ``target`` on the median."""
    s = summary(values)
    m = s["median"]
    met = None if m is None or math.isnan(m) else (m >= target if op == ">=" else m <= target)
    return {
        "name": name,
        **s,
        "goal": goal,
        "op": op,
        "target": target,
        "unit": unit,
        "met": met,
        "note": note,
    }


def fmt(value: float, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"
