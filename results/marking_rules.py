"""Pure rules of marking: which points are allowed, and what a set of marks decides.

Single marking: one mark is final. Double marking: two different markers; when their points
differ by at most the paper's tolerance the final points are their mean (two decimals, e.g.
3.25); otherwise a third marker
marks and the third mark is final. An appeal re-mark, by a marker who has not marked the answer,
replaces the final points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

SINGLE = "single"
DOUBLE = "double"
HALF = Decimal("0.5")


def points_error(points: object, max_points: Decimal) -> str | None:
    """Why ``points`` cannot be given for a question worth ``max_points``; None when it can.

    Allowed: 0 … max_points in steps of a half point. Returns an English code-like reason; callers
    translate for people.
    """
    if isinstance(points, bool) or not isinstance(points, (int, float, str, Decimal)):
        return "not_a_number"
    try:
        value = Decimal(str(points))
    except InvalidOperation:
        return "not_a_number"
    if not value.is_finite():
        return "not_a_number"
    if value < 0 or value > max_points:
        return "out_of_range"
    if (value / HALF) != (value / HALF).to_integral_value():
        return "not_half_step"
    return None


@dataclass(frozen=True)
class Decision:
    required: int  # marks the answer needs in all (1, 2 or 3)
    final_points: Decimal | None  # None while more marks are needed


def decide(*, mode: str, tolerance: Decimal, marks: Sequence[Decimal]) -> Decision:
    """What the marks given so far (in the order given) decide."""
    if mode != DOUBLE:
        return Decision(required=1, final_points=Decimal(marks[0]).quantize(Decimal("0.01")) if marks else None)
    if len(marks) < 2:
        return Decision(required=2, final_points=None)
    first, second = Decimal(marks[0]), Decimal(marks[1])
    if abs(first - second) <= tolerance:
        return Decision(required=2, final_points=((first + second) / 2).quantize(Decimal("0.01")))
    if len(marks) < 3:
        return Decision(required=3, final_points=None)
    return Decision(required=3, final_points=Decimal(marks[2]).quantize(Decimal("0.01")))
