import pytest

from exams import statuses


@pytest.mark.parametrize(
    ("from_state", "to_state", "legal"),
    [
        ("registered", "checked_in", True),
        ("registered", "late", True),
        ("late", "absent", True),
        ("checked_in", "in_progress", True),
        ("in_progress", "submitted", True),
        ("in_progress", "collected", True),
        ("submitted", "in_progress", False),
        ("collected", "submitted", False),
        ("absent", "checked_in", False),
        ("late", "checked_in", False),
    ],
)
def test_it_allows_only_the_table_of_transitions(from_state, to_state, legal):
    assert statuses.is_legal(from_state, to_state) is legal


def test_a_finished_attempt_never_reopens():
    assert not statuses.is_legal("submitted", "in_progress")
    assert not statuses.is_legal("collected", "in_progress")
