"""The organizer REST API's tests: an organizer client, the clock ten days before the exam, and
request bodies for batches, sessions, papers and registrations."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.test import Client

from exams.models import ExamBatch, ExamSession
from tests import factories

API = "/api/v1/organizer/"
NOW = datetime(2023, 7, 20, 2, 0, tzinfo=UTC)  # ten days before the formal session
# The formal session's window as the organizer types it (Beijing time).
STARTS_AT = "2023-07-30T09:00:00+08:00"
ENDS_AT = "2023-07-30T11:00:00+08:00"

ORGANIZER_PERMS = [
    "exams.add_exambatch",
    "exams.change_exambatch",
    "exams.view_exambatch",
    "exams.add_examsession",
    "exams.change_examsession",
    "exams.view_examsession",
    "exams.add_paper",
    "exams.change_paper",
    "exams.view_paper",
    "exams.view_attempt",
    "candidates.add_candidate",
    "candidates.change_candidate",
    "candidates.view_candidate",
    "candidates.add_registration",
    "candidates.change_registration",
    "candidates.view_registration",
    "results.view_markingtask",
]


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def user_with(*perms: str, username: str = "staff", is_staff: bool = True) -> User:
    user = User.objects.create_user(
        username=username, password="correct horse battery staple", is_staff=is_staff
    )
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def api():
    """An organizer with exactly the permissions the organizer API needs."""
    return client_for(user_with(*ORGANIZER_PERMS, username="kaowu"))


def post(client: Client, path: str, body) -> tuple[int, dict]:
    response = client.post(API + path, data=json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def patch(client: Client, path: str, body) -> tuple[int, dict]:
    response = client.patch(API + path, data=json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def get(client: Client, path: str) -> tuple[int, dict]:
    response = client.get(API + path)
    return response.status_code, response.json()


def session_body(batch: ExamBatch, **overrides) -> dict:
    body = {
        "batch": batch.pk,
        "kind": "formal",
        "name": "正式考试 理论知识",
        "starts_at": STARTS_AT,
        "ends_at": ENDS_AT,
    }
    body.update(overrides)
    return body


def question(kind="single_choice", **overrides) -> dict:
    body = {
        "single_choice": {
            "kind": kind,
            "text": "安全生产的方针是？",
            "choices": [{"key": "A", "text": "安全第一"}, {"key": "B", "text": "效率第一"}],
            "correct": "A",
            "points": "2",
        },
        "multiple_choice": {
            "kind": kind,
            "text": "哪些属于劳保用品？",
            "choices": [
                {"key": "A", "text": "安全帽"},
                {"key": "B", "text": "手套"},
                {"key": "C", "text": "拖鞋"},
            ],
            "correct": ["A", "B"],
        },
        "true_false": {"kind": kind, "text": "进入车间必须佩戴安全帽。", "correct": True},
        "fill_in": {"kind": kind, "text": "消防电话是____。", "correct": ["119"]},
        "essay": {"kind": kind, "text": "简述触电急救的步骤。", "points": 10},
    }[kind]
    body.update(overrides)
    return body


def bulk_row(session: ExamSession, seq: int, **overrides) -> dict:
    row = {
        "name": f"考生{seq}",
        "document_type": "resident_id",
        "id_number": factories.resident_id(seq),
        "session": session.pk,
        "admission_ticket": f"2023{seq:08d}",
        "subject": "理论知识",
    }
    row.update(overrides)
    return row


def bad_checksum(seq: int) -> str:
    good = factories.resident_id(seq)
    return good[:17] + ("0" if good[17] != "0" else "1")


def call(client: Client, method: str, path: str):
    if method == "get":
        return client.get(API + path)
    return client.post(API + path, data="{}", content_type="application/json")
