"""Events and evidence are append-only: no edit or delete through the ORM or the admin."""

from __future__ import annotations

import pytest
from django.test import Client

from proctoring.exceptions import AppendOnlyViolation
from proctoring.models import Evidence, ProctorEvent
from proctoring.services.events import event_record_server, evidence_store
from tests import factories
from tests.helpers import START
from tests.proctoring.conftest import jpeg_bytes


@pytest.fixture
def event(attempt):
    return event_record_server(attempt=attempt, kind=ProctorEvent.SCREEN_LEAVE, now=START, details={"n": 1})


@pytest.fixture
def evidence(attempt):
    return evidence_store(
        attempt=attempt, kind=Evidence.SNAPSHOT, data=jpeg_bytes(), now=START, capture_id="a"
    )


def test_a_stored_event_cannot_be_changed_or_deleted(event):
    event.details = {"n": 0}
    with pytest.raises(AppendOnlyViolation):
        event.save()
    with pytest.raises(AppendOnlyViolation):
        event.delete()
    with pytest.raises(AppendOnlyViolation):
        ProctorEvent.objects.filter(pk=event.pk).update(kind="login")
    with pytest.raises(AppendOnlyViolation):
        ProctorEvent.objects.all().delete()
    stored = ProctorEvent.objects.get(pk=event.pk)
    assert (stored.kind, stored.details) == ("screen_leave", {"n": 1})


def test_stored_evidence_cannot_be_changed_or_deleted(evidence):
    evidence.sha256 = "0" * 64
    with pytest.raises(AppendOnlyViolation):
        evidence.save()
    with pytest.raises(AppendOnlyViolation):
        evidence.delete()
    with pytest.raises(AppendOnlyViolation):
        Evidence.objects.filter(pk=evidence.pk).delete()
    with pytest.raises(AppendOnlyViolation):
        Evidence.objects.update(size=1)
    assert Evidence.objects.get(pk=evidence.pk).sha256 != "0" * 64


def test_new_rows_are_still_added_one_by_one_or_in_bulk(attempt):
    ProctorEvent.objects.bulk_create(
        [ProctorEvent(attempt=attempt, kind=ProctorEvent.FOCUS_LOSS, at=START) for _ in range(3)]
    )
    assert ProctorEvent.objects.filter(kind=ProctorEvent.FOCUS_LOSS).count() == 3


@pytest.mark.parametrize("user_kind", ["superuser", "organizer", "proctor"])
def test_the_admin_offers_no_add_change_or_delete_even_to_a_superuser(
    user_kind, event, evidence, organizer, proctor
):
    users = {"organizer": organizer, "proctor": proctor}
    user = users.get(user_kind) or factories.staff_user("root", superuser=True)
    client = Client()
    client.force_login(user)
    for model, obj in (("proctorevent", event), ("evidence", evidence)):
        base = f"/admin/proctoring/{model}/"
        assert client.get(base).status_code == 200
        assert client.get(f"{base}add/").status_code == 403
        assert client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.post(f"{base}{obj.pk}/change/", {"kind": "login"}).status_code == 403
        changelist = client.post(
            base, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
        )
        assert changelist.status_code in (200, 302)
    assert ProctorEvent.objects.filter(pk=event.pk).exists()
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_support_staff_cannot_even_list_evidence_in_the_admin(support_agent, evidence):
    client = Client()
    client.force_login(support_agent)
    assert client.get("/admin/proctoring/evidence/").status_code == 403
    assert client.get("/admin/proctoring/proctorevent/").status_code == 403
    assert client.get("/admin/proctoring/reviewdecision/").status_code == 403
