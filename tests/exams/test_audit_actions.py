"""Audit actions: one enum whose values are the strings already stored in attempt histories."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from exams.audit import AuditAction
from exams.models import AttemptAudit
from exams.services.attempts import attempt_audit

NOW = datetime(2023, 7, 20, 2, 0, tzinfo=UTC)


def test_every_action_keeps_the_value_existing_rows_hold():
    assert sorted(AuditAction.values) == sorted([
        "registered", "login", "relogin", "start", "submit", "lock", "collect", "late", "absent",
        "unlock", "extra_time", "message", "decision", "void_proposed", "void_withdrawn",
        "step_done", "step_waived", "leave_limit_by_login", "mark", "appeal", "appeal_resolved", "results_publish",
        "grace_answers", "session_extra_time", "readmit", "reopen", "accept_late_answers", "backup_import",
        "marks_discarded", "recording_played", "device_check_again",
    ])


def test_every_action_fits_the_column():
    assert max(len(value) for value in AuditAction.values) <= AttemptAudit._meta.get_field("action").max_length


def test_a_row_with_an_unknown_action_does_not_validate(attempt):
    row = AttemptAudit(attempt=attempt, action="renamed_later", at=NOW)
    with pytest.raises(ValidationError) as raised:
        row.full_clean()
    assert "action" in raised.value.message_dict


def test_the_audit_list_names_the_action_in_words(admin_client, attempt):
    attempt_audit(attempt=attempt, action=AuditAction.UNLOCK, now=NOW, reason="网络故障，考务确认")

    html = admin_client.get(reverse("admin:exams_attemptaudit_changelist")).content.decode()

    assert "解除作答锁定" in html
    assert AttemptAudit.objects.get(attempt=attempt).action == "unlock"
