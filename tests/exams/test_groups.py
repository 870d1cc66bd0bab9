"""The staff groups made by the data migration, with the least permissions each role needs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from tests import factories


def perms(group_name: str, apps: tuple[str, ...] = ("exams", "candidates", "support")) -> set[str]:
    group = Group.objects.get(name=group_name)
    granted = group.permissions.filter(content_type__app_label__in=apps).select_related("content_type")
    return {f"{p.content_type.app_label}.{p.codename}" for p in granted}


@pytest.mark.django_db
def test_the_migration_creates_the_three_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {"organizer", "proctor", "support"}


@pytest.mark.django_db
def test_an_organizer_builds_the_exam_and_only_reads_the_evidence():
    organizer = perms("organizer")

    for model in ("exams.exambatch", "exams.examsession", "exams.paper", "exams.question",
                  "candidates.candidate", "candidates.registration", "support.staffedperiod"):
        app, name = model.split(".")
        assert {f"{app}.add_{name}", f"{app}.change_{name}", f"{app}.view_{name}"} <= organizer, model
    assert {"exams.view_attempt", "exams.view_answer", "exams.view_attemptaudit"} <= organizer
    assert not {"exams.change_attempt", "exams.delete_attempt", "exams.change_answer",
                "exams.delete_attemptaudit", "candidates.delete_registration"} & organizer


@pytest.mark.django_db
def test_a_proctor_reads_sessions_and_attempts_but_cannot_change_a_paper_or_see_answers():
    proctor = factories.staff_user("proctor", "proctor")

    for perm in ("exams.view_examsession", "exams.view_attempt", "exams.view_attemptaudit",
                 "exams.view_paper", "candidates.view_candidate", "candidates.view_registration"):
        assert proctor.has_perm(perm), perm
    for perm in ("exams.change_paper", "exams.view_question", "exams.view_answer", "exams.change_answer",
                 "exams.change_attempt", "exams.change_examsession", "candidates.change_candidate"):
        assert not proctor.has_perm(perm), perm


@pytest.mark.django_db
def test_support_staff_only_read_sessions_attempts_candidates_and_registrations():
    # (The support app grants its own ticket and FAQ permissions in its migrations.)
    # Besides reading, support may unlock a leave-limit lock, message the exam page and waive a
    # required step for one candidate (SPEC "Technical support", "Proctoring"); never answers,
    # papers or decisions.
    assert perms("support", apps=("exams", "candidates")) == {
        "exams.view_examsession", "exams.view_attempt",
        "candidates.view_candidate", "candidates.view_registration",
        "exams.unlock_attempt", "exams.message_attempt", "exams.waive_step",
    }
    agent = factories.staff_user("support", "support")
    assert not agent.has_perm("exams.view_answer")
    assert not agent.has_perm("exams.view_paper")
