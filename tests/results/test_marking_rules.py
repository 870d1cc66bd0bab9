from decimal import Decimal

import pytest

from results import marking_rules as r

D = Decimal


@pytest.mark.parametrize(
    ("points", "reason"),
    [
        (0, None), ("10", None), ("3.5", None), (D("9.5"), None),
        (-1, "out_of_range"), ("10.5", "out_of_range"), ("3.25", "not_half_step"),
        ("abc", "not_a_number"), (None, "not_a_number"), (True, "not_a_number"), ("NaN", "not_a_number"),
        ("Infinity", "not_a_number"),
    ],
)
def test_points_are_zero_to_max_in_half_steps(points, reason):
    assert r.points_error(points, D("10")) == reason


@pytest.mark.parametrize(
    ("mode", "tolerance", "marks", "required", "final"),
    [
        (r.SINGLE, D(0), [], 1, None),
        (r.SINGLE, D(0), [D("7.5")], 1, D("7.50")),
        (r.DOUBLE, D(1), [D(7)], 2, None),
        (r.DOUBLE, D(1), [D(7), D(8)], 2, D("7.50")),  # within tolerance: the mean
        (r.DOUBLE, D(1), [D(7), D("7.5")], 2, D("7.25")),
        (r.DOUBLE, D(1), [D(7), D(9)], 3, None),  # apart: a third marker
        (r.DOUBLE, D(1), [D(7), D(9), D("8.5")], 3, D("8.50")),  # the third mark decides
        (r.DOUBLE, D(0), [D(5), D(5)], 2, D("5.00")),
    ],
)
def test_what_the_marks_decide(mode, tolerance, marks, required, final):
    decision = r.decide(mode=mode, tolerance=tolerance, marks=marks)
    assert (decision.required, decision.final_points) == (required, final)
