"""Item statistics of a session, as pure functions over plain values (classical test theory).

- facility: the mean share of the question's points candidates got (for a right/wrong question,
  the share who got it right);
- discrimination: the point-biserial correlation between the points on the question and the
  total score (Pearson's r, which for a right/wrong question is the point-biserial); None when
  either side does not vary;
- choice frequencies for choice questions, a flag on negative discrimination and on a wrong
  option nobody chose.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

NEGATIVE_DISCRIMINATION = "negative_discrimination"
UNCHOSEN_DISTRACTOR = "unchosen_distractor"


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


@dataclass
class ItemStats:
    question_id: int
    position: int
    kind: str
    text: str
    max_points: Decimal
    answered: int
    facility: float | None
    discrimination: float | None
    choices: dict[str, int] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sums:
    """What the statistics of one question need, summed over the attempts of a session.

    x: the points on the question (0 when not answered), y: the attempt's total score.
    """

    n: int
    x: float
    xx: float
    xy: float
    y: float
    yy: float


def pearson_from_sums(sums: Sums) -> float | None:
    """Pearson's r from sums (the point-biserial for a right/wrong item); None without variance."""
    n = sums.n
    if n < 2:
        return None
    sxx = sums.xx - sums.x * sums.x / n
    syy = sums.yy - sums.y * sums.y / n
    sxy = sums.xy - sums.x * sums.y / n
    scale = max(abs(sums.xx), abs(sums.yy), 1.0)
    if sxx <= 1e-12 * scale or syy <= 1e-12 * scale:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


CHOICE_KINDS = ("single_choice", "multiple_choice", "true_false")


def right_keys(question: Mapping[str, Any]) -> set[str]:
    correct = question.get("correct")
    if question["kind"] == "true_false":
        return {str(correct).lower()}
    return {str(k) for k in correct} if isinstance(correct, list) else {str(correct)}


def item_from_sums(
    *, question: Mapping[str, Any], sums: Sums, choices_picked: Mapping[str, int] | None = None
) -> ItemStats:
    """Statistics of one question from its sums (``Sums``) and how many picked each option."""
    max_points = Decimal(str(question["points"]))
    facility = (sums.x / sums.n / float(max_points)) if sums.n and max_points else None
    stats = ItemStats(
        question_id=question["id"], position=question.get("position", 0), kind=question["kind"],
        text=str(question.get("text", ""))[:80], max_points=max_points, answered=sums.n, facility=facility,
        discrimination=pearson_from_sums(sums),
    )
    if question["kind"] in CHOICE_KINDS:
        keys = [c["key"] for c in question.get("choices") or []] or ["true", "false"]
        picked = choices_picked or {}
        stats.choices = {key: int(picked.get(key, 0)) for key in keys}
        right = right_keys(question)
        if sums.n and any(n == 0 and key not in right for key, n in stats.choices.items()):
            stats.flags.append(UNCHOSEN_DISTRACTOR)
    if stats.discrimination is not None and stats.discrimination < 0:
        stats.flags.append(NEGATIVE_DISCRIMINATION)
    return stats


def item_stats(
    *,
    question: Mapping[str, Any],
    points_by_attempt: Mapping[int, float],
    totals: Mapping[int, float],
    choices_picked: Mapping[str, int] | None = None,
) -> ItemStats:
    """Statistics of one question over the attempts in ``totals`` (attempt id -> total score).

    ``points_by_attempt``: the points each attempt got on it (missing = 0); ``choices_picked``:
    how many attempts picked each option key. The same figures as ``item_from_sums``.
    """
    xs = [float(points_by_attempt.get(i, 0.0)) for i in totals]
    ys = [float(totals[i]) for i in totals]
    sums = Sums(
        n=len(xs), x=sum(xs), xx=sum(x * x for x in xs), xy=sum(x * y for x, y in zip(xs, ys, strict=True)),
        y=sum(ys), yy=sum(y * y for y in ys),
    )
    return item_from_sums(question=question, sums=sums, choices_picked=choices_picked)


def histogram(values: Sequence[float], *, maximum: float, bins: int = 10) -> list[tuple[float, float, int]]:
    """(from, to, count) of ``bins`` equal bins over 0..maximum; the last bin includes maximum."""
    if maximum <= 0:
        return []
    width = maximum / bins
    counts = [0] * bins
    for value in values:
        index = min(int(value / width), bins - 1) if value >= 0 else 0
        counts[index] += 1
    return [(round(i * width, 2), round((i + 1) * width, 2), counts[i]) for i in range(bins)]
