"""Data retention: only the purge command removes a batch's evidence, and only after its date."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from exams.models import ExamBatch
from proctoring.models import Evidence, ProctorEvent
from proctoring.services.events import event_record_server, evidence_store
from tests import factories
from tests.helpers import START
from tests.proctoring.conftest import jpeg_bytes


@pytest.fixture
def kept_attempt(db):
    """An attempt of another batch: never touched by this batch's purge."""
    return factories.AttemptFactory()


@pytest.fixture
def recorded(attempt, kept_attempt):
    for target in (attempt, kept_attempt):
        event_record_server(attempt=target, kind=ProctorEvent.SCREEN_LEAVE, now=START)
        evidence_store(attempt=target, kind=Evidence.SNAPSHOT, data=jpeg_bytes(), now=START, capture_id="s1")
        evidence_store(
            attempt=target, kind=Evidence.LOGIN_PHOTO, data=jpeg_bytes(), now=START, capture_id="p1"
        )
    ExamBatch.objects.filter(pk=attempt.session.batch_id).update(evidence_retention_until=date(2024, 1, 31))
    return attempt


def purge(batch, now: str) -> str:
    out = StringIO()
    call_command("purge_evidence", "--batch", batch.slug, "--now", now, stdout=out)
    return out.getvalue()


def files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_it_refuses_before_the_retention_date_and_keeps_everything(recorded, evidence_root):
    before = files(evidence_root)
    # 23:30 UTC on 30 Jan is already 31 Jan in Beijing: the batch's own calendar decides.
    with pytest.raises(CommandError, match="retention_not_due") as refused:
        purge(recorded.session.batch, "2024-01-30T15:59:00+00:00")
    assert "2024-01-31" in str(refused.value)
    assert len(before) == 8  # four images, each with its thumbnail for the live wall
    assert files(evidence_root) == before
    assert Evidence.objects.count() == 4 and ProctorEvent.objects.count() == 2


def test_it_purges_the_whole_batch_on_the_date_and_nothing_else(recorded, kept_attempt, evidence_root):
    kept = Evidence.objects.filter(attempt=kept_attempt)
    kept_files = {e.storage_name for e in kept} | {e.thumb_name for e in kept}
    output = purge(recorded.session.batch, "2024-01-30T16:00:00+00:00")  # 31 Jan 00:00 in Beijing
    assert "removed 2 files, 2 evidence rows, 1 events" in output
    assert not Evidence.objects.filter(attempt=recorded).exists()
    assert not ProctorEvent.objects.filter(attempt=recorded).exists()
    assert Evidence.objects.filter(attempt=kept_attempt).count() == 2
    assert ProctorEvent.objects.filter(attempt=kept_attempt).count() == 1
    assert {str(p.relative_to(evidence_root)) for p in files(evidence_root)} == kept_files


def test_it_refuses_a_batch_without_a_retention_date(attempt):
    with pytest.raises(CommandError, match="retention_not_set"):
        purge(attempt.session.batch, "2030-01-01T00:00:00+00:00")


def test_it_names_an_unknown_batch(db):
    with pytest.raises(CommandError, match="no batch"):
        call_command("purge_evidence", "--batch", "nope")


def test_the_help_says_an_organizer_runs_it(capsys):
    from proctoring.management.commands.purge_evidence import Command

    assert "organizer" in Command.help and "evidence_retention_until" in Command.help
