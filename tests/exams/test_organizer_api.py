"""The organizer REST API: who may use it, what it writes, and how it refuses bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from rest_framework.authtoken.models import Token

from candidates.models import Candidate, Registration
from exams import statuses
from exams.models import Answer, Attempt, ExamBatch, ExamSession, Paper, Question
from tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1/organizer/"
NOW = datetime(2023, 7, 20, 2, 0, tzinfo=UTC)  # ten days before the formal session
START = "2023-07-30T09:00:00+08:00"
END = "2023-07-30T11:00:00+08:00"

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
        "starts_at": START,
        "ends_at": END,
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


# --- who may use it ---------------------------------------------------------------------------


ENDPOINTS = [
    ("get", "batches/"),
    ("get", "sessions/"),
    ("get", "papers/"),
    ("get", "candidates/"),
    ("get", "registrations/"),
    ("post", "sessions/"),
    ("post", "registrations/bulk/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_it_refuses_anonymous_users_with_not_logged_in(client, method, path):
    response = call(client, method, path)

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_logged_in"


def test_it_refuses_anonymous_users_the_attempts_and_results_of_a_session(client, formal_session):
    for path in (f"sessions/{formal_session.pk}/attempts/", f"sessions/{formal_session.pk}/results/"):
        status, body = get(client, path)
        assert status in (401, 403)
        assert body["code"] == "not_logged_in"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_it_refuses_a_candidate_logged_in_to_an_attempt(client, attempt, method, path):
    session = client.session
    session["attempt_id"] = attempt.pk
    session.save()

    response = call(client, method, path)

    assert response.status_code == 403
    assert Registration.objects.count() == 1


def test_it_refuses_a_candidate_the_results_of_their_own_session(client, attempt):
    session = client.session
    session["attempt_id"] = attempt.pk
    session.save()

    status, body = get(client, f"sessions/{attempt.session_id}/results/")

    assert status == 403
    assert "id_number" not in json.dumps(body)


def test_it_refuses_a_user_who_is_not_staff_even_with_permissions(formal_session):
    client = client_for(user_with(*ORGANIZER_PERMS, is_staff=False))

    status, body = get(client, "sessions/")

    assert status == 403
    assert body["code"] == "forbidden"


def test_it_refuses_staff_without_the_model_permission(formal_session):
    client = client_for(user_with())

    for path in ("batches/", "sessions/", "papers/", "candidates/", "registrations/"):
        status, body = get(client, path)
        assert status == 403, path
        assert body["code"] == "forbidden"


def test_it_refuses_staff_who_may_read_but_not_write(formal_session):
    client = client_for(user_with("exams.view_examsession", "exams.view_exambatch"))

    assert get(client, "sessions/")[0] == 200
    status, body = post(client, "sessions/", session_body(formal_session.batch))

    assert status == 403
    assert body["code"] == "forbidden"
    assert ExamSession.objects.count() == 1


def test_it_refuses_results_to_staff_who_may_not_see_candidates(attempt):
    client = client_for(user_with("exams.view_examsession", "exams.view_attempt"))

    assert get(client, f"sessions/{attempt.session_id}/attempts/")[0] == 200
    assert get(client, f"sessions/{attempt.session_id}/results/")[0] == 403


def test_it_refuses_bulk_registration_to_staff_who_may_not_change_candidates(formal_session):
    client = client_for(user_with("candidates.add_registration", "candidates.view_registration"))

    status, _body = post(client, "registrations/bulk/", [bulk_row(formal_session, 1)])

    assert status == 403
    assert Candidate.objects.count() == 0


def test_it_lets_the_organizer_group_do_everything_the_api_offers(formal_session):
    organizer = factories.staff_user("organizer", "organizer")
    assert Group.objects.get(name="organizer") in organizer.groups.all()
    client = client_for(organizer)

    status, body = get(client, f"sessions/?batch={formal_session.batch_id}")
    assert status == 200
    assert [s["id"] for s in body["results"]] == [formal_session.pk]
    status, body = post(client, "sessions/", session_body(formal_session.batch, name="正式考试 实操"))
    assert status == 201, body
    status, body = post(client, "papers/", {"name": "实操卷", "questions": [question("essay")]})
    assert status == 201, body
    status, body = post(client, "registrations/bulk/", [bulk_row(formal_session, 1)])
    assert status == 201, body
    assert get(client, f"sessions/{formal_session.pk}/attempts/")[0] == 200
    assert get(client, f"sessions/{formal_session.pk}/results/")[0] == 200


def test_it_lets_the_proctor_group_read_attempts_but_not_build_sessions(formal_session):
    client = client_for(factories.staff_user("proctor", "proctor"))

    assert get(client, f"sessions/{formal_session.pk}/attempts/")[0] == 200
    assert post(client, "sessions/", session_body(formal_session.batch))[0] == 403
    assert post(client, "registrations/bulk/", [bulk_row(formal_session, 1)])[0] == 403


def test_it_accepts_a_token(formal_session):
    user = user_with(*ORGANIZER_PERMS)
    token = Token.objects.create(user=user)

    response = Client().get(API + "sessions/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_it_serves_the_schema_to_staff_only(client, api):
    response = api.get("/api/schema/?format=json")

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for path in (
        "/api/v1/organizer/batches/",
        "/api/v1/organizer/sessions/",
        "/api/v1/organizer/papers/",
        "/api/v1/organizer/candidates/",
        "/api/v1/organizer/registrations/",
        "/api/v1/organizer/registrations/bulk/",
        "/api/v1/organizer/sessions/{id}/attempts/",
        "/api/v1/organizer/sessions/{id}/results/",
    ):
        assert path in paths, path
    bulk = paths["/api/v1/organizer/registrations/bulk/"]["post"]
    assert bulk["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    assert "400" in bulk["responses"]
    assert client.get("/api/schema/").status_code in (401, 403)


# --- batches -----------------------------------------------------------------------------------


def test_it_creates_and_renames_a_batch(api):
    status, body = post(api, "batches/", {"name": "2023年7月30日批次", "slug": "2023-07-30"})
    assert status == 201, body
    assert body["notice_url"] == "/notice/2023-07-30/"
    assert body["time_zone"] == "Asia/Shanghai"

    status, body = patch(api, f"batches/{body['id']}/", {"name": "2023年7月30日批次（更新）"})
    assert status == 200
    assert ExamBatch.objects.get().name == "2023年7月30日批次（更新）"


def test_it_refuses_a_batch_whose_slug_is_taken_or_zone_unknown(api):
    factories.BatchFactory(slug="2023-07-30")

    status, body = post(api, "batches/", {"name": "x", "slug": "2023-07-30", "time_zone": "Mars/Base"})

    assert status == 400
    assert set(body["errors"]) == {"slug", "time_zone"}
    assert ExamBatch.objects.count() == 1


# --- sessions ----------------------------------------------------------------------------------


def test_it_creates_a_formal_session_with_the_kind_defaults_and_a_generated_password(api):
    batch = factories.BatchFactory()

    status, body = post(api, "sessions/", session_body(batch))

    assert status == 201, body
    session = ExamSession.objects.get()
    assert len(session.password) == 6 and session.password.isdigit()
    assert body["password"] == session.password
    assert (body["login_opens_before_minutes"], body["late_after_minutes"], body["min_answer_minutes"]) == (
        30,
        30,
        60,
    )
    assert body["exam_day_gate"] == "08:00"
    assert session.password_published_at == session.starts_at - timedelta(days=7)
    assert body["login_opens_at"].startswith("2023-07-30T08:30:00")


def test_it_gives_a_device_check_no_late_cutoff_no_minimum_time_and_no_lock(api):
    batch = factories.BatchFactory()

    status, body = post(api, "sessions/", session_body(batch, kind="device_check", name="设备调试"))

    assert status == 201, body
    session = ExamSession.objects.get()
    assert (session.late_after, session.min_answer_time, session.lock_screen) == (None, None, False)
    assert session.exam_day_gate is None
    assert body["late_cutoff"] is None


def test_it_keeps_the_rule_fields_it_is_given(api):
    batch = factories.BatchFactory()

    status, body = post(
        api,
        "sessions/",
        session_body(
            batch,
            password="246810",
            late_after_minutes=20,
            max_screen_leaves=3,
            requires_scratch_paper=True,
            exam_day_gate="07:30",
        ),
    )

    assert status == 201, body
    session = ExamSession.objects.get()
    assert session.password == "246810"
    assert session.late_after == timedelta(minutes=20)
    assert session.min_answer_time == timedelta(minutes=60)  # not given: the default
    assert (session.max_screen_leaves, session.requires_scratch_paper) == (3, True)
    assert session.exam_day_gate.strftime("%H:%M") == "07:30"


def test_it_refuses_a_window_that_ends_before_it_starts(api):
    batch = factories.BatchFactory()

    status, body = post(api, "sessions/", session_body(batch, starts_at=END, ends_at=START))

    assert status == 400
    assert body["code"] == "invalid"
    assert "ends_at" in body["errors"]
    assert "ends_at" in body["detail"]
    assert ExamSession.objects.count() == 0


@pytest.mark.parametrize("password", ["12345", "1234567", "abcdef", "12 456"])
def test_it_refuses_a_password_that_is_not_six_digits(api, password):
    batch = factories.BatchFactory()

    status, body = post(api, "sessions/", session_body(batch, password=password))

    assert status == 400
    assert body["errors"]["password"] == "考试口令必须是 6 位数字。"
    assert ExamSession.objects.count() == 0


def test_it_refuses_a_password_used_by_a_session_still_open(api, formal_session):
    status, body = post(
        api, "sessions/", session_body(formal_session.batch, password=formal_session.password)
    )

    assert status == 400
    assert formal_session.password in body["errors"]["password"]
    assert ExamSession.objects.count() == 1


def test_it_allows_the_password_of_a_session_that_has_ended(api):
    ended = factories.SessionFactory(
        password="283381", starts_at=NOW - timedelta(days=3), ends_at=NOW - timedelta(days=2)
    )

    status, body = post(api, "sessions/", session_body(ended.batch, password="283381"))

    assert status == 201, body


def test_it_refuses_a_paper_of_another_batch_and_a_minimum_time_longer_than_the_window(api):
    batch = factories.BatchFactory()
    other_paper = factories.PaperFactory()

    status, body = post(api, "sessions/", session_body(batch, paper=other_paper.pk, min_answer_minutes=150))

    assert status == 400
    assert set(body["errors"]) == {"paper", "min_answer_minutes"}


def test_it_refuses_a_session_of_a_missing_batch_or_with_a_garbled_time(api):
    status, body = post(
        api,
        "sessions/",
        {"batch": 999, "kind": "formal", "name": "x", "starts_at": "tomorrow", "ends_at": END},
    )

    assert status == 400
    assert set(body["errors"]) == {"batch", "starts_at"}
    assert "999" in body["errors"]["batch"]


def test_it_filters_sessions_by_batch_in_start_order(api):
    batch = factories.BatchFactory()
    late = factories.SessionFactory(batch=batch, starts_at=factories.FORMAL_START + timedelta(hours=4))
    early = factories.SessionFactory(batch=batch)
    factories.SessionFactory()  # another batch

    status, body = get(api, f"sessions/?batch={batch.pk}")

    assert status == 200
    assert [s["id"] for s in body["results"]] == [early.pk, late.pk]
    assert get(api, "sessions/?batch=abc")[1]["errors"] == {"batch": "必须是整数编号。"}


def test_it_changes_a_session_and_moves_the_attempt_deadlines(api, attempt):
    session = attempt.session
    new_end = session.ends_at + timedelta(minutes=30)

    status, body = patch(
        api, f"sessions/{session.pk}/", {"ends_at": new_end.isoformat(), "late_after_minutes": 15}
    )

    assert status == 200, body
    session.refresh_from_db()
    attempt.refresh_from_db()
    assert session.late_after == timedelta(minutes=15)
    assert attempt.deadline == new_end


def test_it_moves_a_default_password_publication_with_the_start(api, formal_session):
    new_start = formal_session.starts_at + timedelta(days=1)

    status, _body = patch(
        api,
        f"sessions/{formal_session.pk}/",
        {
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=2)).isoformat(),
        },
    )

    assert status == 200
    formal_session.refresh_from_db()
    assert formal_session.password_published_at == new_start - timedelta(days=7)


def test_it_refuses_a_change_that_ends_the_window_before_it_starts_and_keeps_the_session(api, formal_session):
    before = formal_session.starts_at - timedelta(minutes=1)

    status, body = patch(api, f"sessions/{formal_session.pk}/", {"ends_at": before.isoformat()})

    assert status == 400
    assert "ends_at" in body["errors"]
    formal_session.refresh_from_db()
    assert formal_session.ends_at == factories.FORMAL_START + timedelta(hours=2)


def test_it_refuses_a_device_check_that_locks_the_screen(api):
    batch = factories.BatchFactory()

    status, body = post(
        api, "sessions/", session_body(batch, kind="device_check", lock_screen=True, max_screen_leaves=3)
    )

    assert status == 400
    assert "lock_screen" in body["errors"]


# --- papers ------------------------------------------------------------------------------------


def test_it_creates_a_paper_with_every_kind_of_question_in_one_post(api):
    batch = factories.BatchFactory()
    kinds = ["single_choice", "multiple_choice", "true_false", "fill_in", "essay"]

    status, body = post(
        api,
        "papers/",
        {
            "batch": batch.pk,
            "name": "理论知识 A 卷",
            "subject": "理论知识",
            "questions": [question(k) for k in kinds],
        },
    )

    assert status == 201, body
    paper = Paper.objects.get()
    assert [q.kind for q in paper.questions.order_by("position")] == kinds
    assert [q["position"] for q in body["questions"]] == [1, 2, 3, 4, 5]
    assert body["questions"][1]["correct"] == ["A", "B"]
    assert Decimal(body["total_points"]) == Decimal("15")  # 2 + 1 + 1 + 1 + 10


def test_it_refuses_a_paper_whose_objective_question_has_no_correct_answer(api):
    questions = [question("single_choice"), question("true_false", correct=None), question("essay")]

    status, body = post(api, "papers/", {"name": "理论知识 A 卷", "questions": questions})

    assert status == 400
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"questions[1].correct"}
    assert "questions[1].correct" in body["detail"]
    assert Paper.objects.count() == 0 and Question.objects.count() == 0


def test_it_lists_every_bad_question_of_a_paper(api):
    questions = [
        question("single_choice", correct="D"),
        question("multiple_choice", choices=[{"key": "A", "text": "x"}]),
        question("fill_in", correct=[]),
        question("essay", text=""),
    ]

    status, body = post(api, "papers/", {"name": "x", "questions": questions})

    assert status == 400
    assert {
        "questions[0].correct",
        "questions[1].choices",
        "questions[2].correct",
        "questions[3].text",
    } <= set(body["errors"])
    assert Paper.objects.count() == 0


def test_it_refuses_a_paper_without_questions(api):
    status, body = post(api, "papers/", {"name": "空卷", "questions": []})

    assert status == 400
    assert "questions" in body["errors"]


def test_it_replaces_the_questions_of_a_paper_nobody_has_seen(api, paper):
    status, body = patch(api, f"papers/{paper.pk}/", {"questions": [question("true_false")]})

    assert status == 200, body
    assert [q.kind for q in paper.questions.all()] == ["true_false"]


def test_it_refuses_to_replace_questions_a_candidate_answered(api, attempt):
    paper = attempt.session.paper
    first = paper.questions.first()
    Answer.objects.create(attempt=attempt, question=first, value="A", seq=1, saved_at=NOW)

    status, body = patch(api, f"papers/{paper.pk}/", {"questions": [question("true_false")]})

    assert status == 400
    assert "questions" in body["errors"]
    assert paper.questions.count() == 5


def test_it_refuses_to_replace_questions_once_the_session_opened_login(api, paper):
    # Login opens 30 minutes before the start: one minute ago.
    factories.SessionFactory(paper=paper, batch=paper.batch, starts_at=NOW + timedelta(minutes=29))

    status, body = patch(api, f"papers/{paper.pk}/", {"questions": [question("true_false")]})

    assert status == 400
    assert "已开放登录" in body["errors"]["questions"]
    assert paper.questions.count() == 5


# --- candidates and registrations ---------------------------------------------------------------


def test_it_creates_a_candidate_with_a_lower_case_x_uppercased(api):
    id_number = next(
        factories.resident_id(seq) for seq in range(1000) if factories.resident_id(seq).endswith("X")
    )

    status, body = post(api, "candidates/", {"name": "张三", "id_number": id_number.lower()})

    assert status == 201, body
    assert body["id_number"] == id_number
    assert Candidate.objects.get().id_number == id_number


def test_it_refuses_an_invalid_id_number(api):
    status, body = post(api, "candidates/", {"name": "张三", "id_number": bad_checksum(1)})

    assert status == 400
    assert body["errors"]["id_number"] == "居民身份证号校验位不正确，请核对后重新输入。"
    assert Candidate.objects.count() == 0


def test_it_refuses_to_change_a_candidate_id_number(api, candidate):
    status, body = patch(api, f"candidates/{candidate.pk}/", {"id_number": factories.resident_id(777)})

    assert status == 400
    assert "id_number" in body["errors"]
    status, body = patch(api, f"candidates/{candidate.pk}/", {"name": "张叁", "phone": "13800000000"})
    assert status == 200
    candidate.refresh_from_db()
    assert (candidate.name, candidate.phone) == ("张叁", "13800000000")


def test_it_registers_a_candidate_and_opens_the_attempt(api, candidate, formal_session):
    status, body = post(
        api,
        "registrations/",
        {"candidate": candidate.pk, "session": formal_session.pk, "admission_ticket": "202300000001"},
    )

    assert status == 201, body
    attempt = Attempt.objects.get(registration_id=body["id"])
    assert body["attempt"] == attempt.pk
    assert attempt.state == statuses.REGISTERED
    assert attempt.deadline == formal_session.ends_at


def test_it_refuses_a_registration_for_a_missing_session(api, candidate):
    status, body = post(api, "registrations/", {"candidate": candidate.pk, "session": 4242})

    assert status == 400
    assert "4242" in body["errors"]["session"]
    assert Registration.objects.count() == 0


def test_it_registers_many_candidates_at_once(api, formal_session):
    mock = factories.SessionFactory(
        batch=formal_session.batch, kind="mock", starts_at=NOW + timedelta(days=1)
    )
    rows = [bulk_row(formal_session, 1), bulk_row(formal_session, 2), bulk_row(mock, 1)]

    status, body = post(api, "registrations/bulk/", rows)

    assert status == 201, body
    assert body["count"] == 3
    assert Candidate.objects.count() == 2
    assert Registration.objects.filter(session=formal_session).count() == 2
    assert Attempt.objects.count() == 3
    assert all(r["attempt"] for r in body["registrations"])


def test_it_registers_nobody_when_one_row_is_bad_and_names_the_row(api, formal_session):
    rows = [bulk_row(formal_session, n) for n in range(5)]
    rows[3]["id_number"] = bad_checksum(3)

    status, body = post(api, "registrations/bulk/", rows)

    assert status == 400
    assert body["code"] == "invalid"
    assert body["errors"] == {"[3].id_number": "居民身份证号校验位不正确，请核对后重新输入。"}
    assert "[3].id_number" in body["detail"]
    assert Candidate.objects.count() == 0
    assert Registration.objects.count() == 0
    assert Attempt.objects.count() == 0


def test_it_lists_every_bad_row_of_a_bulk_registration(api, formal_session):
    rows = [bulk_row(formal_session, n) for n in range(6)]
    rows[1]["session"] = 999_999
    rows[2]["name"] = ""
    rows[3]["document_type"] = "driving_licence"
    rows[4] = bulk_row(formal_session, 0)  # the same seat as row 0
    rows[5]["session"] = "not a number"

    status, body = post(api, "registrations/bulk/", rows)

    assert status == 400
    assert set(body["errors"]) == {
        "[1].session",
        "[2].name",
        "[3].document_type",
        "[4].id_number",
        "[5].session",
    }
    assert "999999" in body["errors"]["[1].session"]
    assert "[0]" in body["errors"]["[4].id_number"]
    assert Candidate.objects.count() == 0


def test_it_refuses_a_bulk_registration_that_is_not_a_list(api, formal_session):
    status, body = post(api, "registrations/bulk/", bulk_row(formal_session, 1))

    assert status == 400
    assert "rows" in body["errors"]


def test_it_refuses_malformed_json_with_its_own_code(api):
    response = api.post(API + "registrations/bulk/", data='[{"name": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


# --- attempts and results ------------------------------------------------------------------------


def test_it_lists_the_attempts_of_a_session_with_masked_id_numbers(api, attempt):
    Attempt.objects.filter(pk=attempt.pk).update(
        state=statuses.SUBMITTED,
        leaves_used=2,
        score=Decimal("8.00"),
        receipt="ab" * 32,
        finished_at=NOW,
    )
    id_number = attempt.registration.candidate.id_number

    status, body = get(api, f"sessions/{attempt.session_id}/attempts/")

    assert status == 200
    [row] = body["results"]
    assert row["candidate_name"] == "张三"
    assert row["id_number_masked"] == id_number[:3] + "*" * 11 + id_number[-4:]
    assert id_number not in json.dumps(body)
    assert (row["state"], row["leaves_used"], row["locked"], row["score"], row["decision"]) == (
        "submitted",
        2,
        False,
        "8.00",
        "",
    )
    assert row["receipt"] == "ab" * 32
    assert row["finished_at"] is not None


def test_it_filters_attempts_by_state(api, attempt, other_candidate):
    registration = factories.RegistrationFactory(candidate=other_candidate, session=attempt.session)
    factories.AttemptFactory(registration=registration, state=statuses.IN_PROGRESS)

    status, body = get(api, f"sessions/{attempt.session_id}/attempts/?state=in_progress")

    assert [r["candidate_name"] for r in body["results"]] == ["李四"]


def test_it_gives_the_results_of_a_session_per_registration(api, attempt):
    Attempt.objects.filter(pk=attempt.pk).update(
        state=statuses.COLLECTED,
        score=Decimal("6.50"),
        needs_marking=True,
        decision=statuses.DECISION_WARNING,
    )
    registration = attempt.registration

    status, body = get(api, f"sessions/{attempt.session_id}/results/")

    assert status == 200
    assert body["results"] == [
        {
            "registration": registration.pk,
            "admission_ticket": registration.admission_ticket,
            "name": "张三",
            "id_number": registration.candidate.id_number,
            "subject": registration.subject,
            "state": "collected",
            "score": "6.50",
            "needs_marking": True,
            "decision": "warning",
            "finished_at": None,
        }
    ]


def test_it_answers_404_for_the_attempts_of_a_missing_session(api):
    status, body = get(api, "sessions/4242/attempts/")

    assert status == 404
    assert body["code"] == "not_found"
