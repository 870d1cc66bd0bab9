"""Hostile and broken input: refused with a code that names the problem, never a 500,
nothing half-saved, and markup always rendered as text."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

from candidates.models import Candidate
from exams.models import Answer, Attempt, Question
from tests import factories
from tests.helpers import START, at

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
def answering(browser_client, attempt):
    """张三 logged in and answering, ten minutes into the exam."""
    with at(START - timedelta(minutes=5)):
        assert browser_client.login(attempt.session, attempt.registration.candidate).status_code == 200
    travel = at(START + timedelta(minutes=10))
    travel.start()
    yield browser_client
    travel.stop()


def questions(attempt) -> dict[str, Question]:
    return {q.kind: q for q in Question.objects.filter(paper=attempt.session.paper)}


def raw_post(client, path: str, body: bytes, content_type="application/json"):
    return client.client.post(path, data=body, content_type=content_type, HTTP_X_CSRFTOKEN=client.csrf)


def assert_refused(response, status=400, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == (code or body["code"]) and body["detail"]
    return body


# --- malformed bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2", b'{"entries": [}', b"\x00\x01\x02"])
def test_malformed_json_is_a_clear_400(answering, body):
    response = raw_post(answering, "/api/v1/candidate/attempt/answers/", body)
    assert response.status_code == 400
    assert response.json()["code"] in ("malformed_request", "invalid", "invalid_answer")


@pytest.mark.parametrize(
    "body", [b"\xff\xfe\xfd", b'{"password": "\xc3\x28"}', '{"password": "口令"}'.encode("gbk")]
)
def test_non_utf8_bodies_are_a_clear_400(browser_client, db, body):
    response = raw_post(browser_client, "/api/v1/candidate/entry/", body)
    assert_refused(response, 400, "malformed_request")


def test_a_json_body_that_is_not_an_object_is_refused(answering):
    for body in (b"[]", b"42", b'"entries"', b"null"):
        response = raw_post(answering, "/api/v1/candidate/attempt/answers/", body)
        assert response.status_code == 400, body
        assert response.json()["code"] in ("invalid", "invalid_answer")


def test_an_unsupported_content_type_is_a_415(answering):
    response = raw_post(
        answering, "/api/v1/candidate/attempt/answers/", b"<xml/>", content_type="application/xml"
    )
    assert_refused(response, 415, "unsupported_media_type")


# --- huge bodies --------------------------------------------------------------------------------


def test_a_json_body_over_the_upload_limit_is_a_413(answering, settings):
    body = json.dumps({"entries": [{"question": 1, "value": "x" * 1024, "seq": 1}] * 3000}).encode()
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = raw_post(answering, "/api/v1/candidate/attempt/answers/", body)
    assert_refused(response, 413, "request_too_large")


def test_a_form_body_over_the_limit_is_a_413(browser_client, settings):
    body = ("password=" + "1" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)).encode()
    response = raw_post(
        browser_client, "/api/v1/candidate/entry/", body, content_type="application/x-www-form-urlencoded"
    )
    assert_refused(response, 413, "request_too_large")


def test_multipart_fields_over_the_limit_are_a_413_not_a_400_page(browser_client, settings):
    settings.API_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    response = browser_client.client.post(
        "/api/v1/support/tickets/",
        {"text": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10), "category": "other"},
        HTTP_X_CSRFTOKEN=browser_client.csrf,
    )
    assert_refused(response, 413, "request_too_large")


def test_an_upload_over_the_api_limit_is_a_413(answering, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.API_MAX_UPLOAD_BYTES = 100_000
    upload = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * 200_000, content_type="image/jpeg")
    response = answering.client.post(
        "/api/v1/candidate/attempt/photo/", {"photo": upload}, HTTP_X_CSRFTOKEN=answering.csrf
    )
    assert_refused(response, 413, "request_too_large")


def test_too_many_answer_entries_are_refused_whole(answering, attempt):
    single = questions(attempt)["single_choice"]
    entries = [{"question": single.id, "value": "A", "seq": n + 1} for n in range(501)]
    response = answering.post("attempt/answers/", {"entries": entries})
    assert_refused(response, 400, "invalid_answer")
    assert not Answer.objects.exists()


def test_an_over_long_essay_is_refused(answering, attempt):
    essay = questions(attempt)["essay"]
    response = answering.save((essay.id, "长" * 20_001, 1))
    assert "过长" in assert_refused(response, 400, "invalid_answer")["detail"]


# --- wrong types and impossible values ----------------------------------------------------------


@pytest.mark.parametrize(
    "entries",
    [
        {"question": 1},
        "entries",
        42,
        None,
        [None],
        [[1, "A", 1]],
        [{"question": "1", "value": "A", "seq": 1}],
        [{"question": True, "value": "A", "seq": 1}],
        [{"question": 1.5, "value": "A", "seq": 1}],
    ],
)
def test_wrong_shapes_of_entries_are_refused(answering, entries):
    response = answering.post("attempt/answers/", {"entries": entries})
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid_answer", "invalid")
    assert not Answer.objects.exists()


@pytest.mark.parametrize("seq", [0, -1, -(2**63), 2**62, 2**63, 2**64, 10**30, 1.5, "1", True, None, [1]])
def test_negative_zero_enormous_or_non_integer_seqs_are_refused(answering, attempt, seq):
    single = questions(attempt)["single_choice"]
    response = answering.post(
        "attempt/answers/", {"entries": [{"question": single.id, "value": "A", "seq": seq}]}
    )
    assert "序号" in assert_refused(response, 400, "invalid_answer")["detail"]
    assert not Answer.objects.exists()
    assert Attempt.objects.get(pk=attempt.id).last_seq == 0


def test_the_largest_allowed_seq_is_stored_exactly(answering, attempt):
    single = questions(attempt)["single_choice"]
    response = answering.save((single.id, "A", 2**62 - 1))
    assert response.status_code == 200 and response.json()["acked_seq"] == 2**62 - 1
    assert Answer.objects.get().seq == 2**62 - 1


@pytest.mark.parametrize("question", [0, -1, 999_999, 2**63])
def test_unknown_question_ids_are_refused_and_nothing_is_saved(answering, attempt, question):
    single = questions(attempt)["single_choice"]
    response = answering.post(
        "attempt/answers/",
        {
            "entries": [
                {"question": single.id, "value": "A", "seq": 1},
                {"question": question, "value": "A", "seq": 2},
            ]
        },
    )
    assert "不存在" in assert_refused(response, 400, "invalid_answer")["detail"]
    assert not Answer.objects.exists()


def test_a_question_of_another_paper_is_refused(answering, attempt):
    foreign = factories.QuestionFactory()
    response = answering.save((foreign.id, "A", 1))
    assert_refused(response, 400, "invalid_answer")
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "kind,value",
    [
        ("single_choice", "Z"),
        ("single_choice", ["A"]),
        ("single_choice", 1),
        ("single_choice", {"A": 1}),
        ("multiple_choice", "A"),
        ("multiple_choice", ["A", "A"]),
        ("multiple_choice", ["Z"]),
        ("true_false", "true"),
        ("true_false", 1),
        ("fill_in", 42),
        ("fill_in", ["安全"]),
        ("essay", {"x": 1}),
    ],
)
def test_values_that_do_not_fit_the_question_are_refused(answering, attempt, kind, value):
    question = questions(attempt)[kind]
    response = answering.save((question.id, value, 1))
    assert_refused(response, 400, "invalid_answer")
    assert not Answer.objects.exists()


@pytest.mark.parametrize("current", ["3", 1.5, [1], {"q": 1}, True])
def test_a_strange_current_question_is_ignored_not_a_crash(answering, attempt, current):
    single = questions(attempt)["single_choice"]
    response = answering.post(
        "attempt/answers/",
        {
            "entries": [{"question": single.id, "value": "A", "seq": 1}],
            "current_question": current,
        },
    )
    assert response.status_code == 200
    assert Attempt.objects.get(pk=attempt.id).current_question is None


@pytest.mark.parametrize(
    "password", [None, 123456, 12.5, ["283381"], {"p": 1}, True, "1" * 33, "２８３３８１"]
)
def test_entry_refuses_passwords_of_the_wrong_type(browser_client, db, password):
    response = browser_client.post("entry/", {"password": password})
    assert response.status_code in (400, 404)
    assert response.json()["code"] in ("unknown_password", "invalid")


@pytest.mark.parametrize(
    "id_number", [None, 110101, ["x"], {"a": 1}, "", " ", SCRIPT, "x" * 10_000, "\u0000"]
)
def test_login_refuses_id_numbers_of_the_wrong_type(browser_client, attempt, id_number):
    with at(START - timedelta(minutes=5)):
        response = browser_client.post(
            "login/", {"password": attempt.session.password, "id_number": id_number}
        )
    assert response.status_code in (400, 403)
    assert response.json()["code"] in ("invalid_id_number", "not_registered", "invalid", "malformed_request")
    assert SCRIPT not in response.content.decode()


def test_missing_fields_are_named(browser_client, db):
    body = assert_refused(browser_client.post("login/", {}), 400, "invalid")
    assert body["errors"] == {"password": "required", "id_number": "required"}


def test_nul_characters_in_json_are_refused_before_they_reach_the_database(answering, attempt):
    """PostgreSQL cannot store U+0000 in text or jsonb: refused up front, never a 5xx."""
    essay = questions(attempt)["essay"]
    response = answering.save((essay.id, "前\u0000后", 1))
    assert "无法保存的字符" in assert_refused(response, 400, "malformed_request")["detail"]
    assert not Answer.objects.exists()


@pytest.mark.parametrize("as_form", [False, True])
def test_nul_characters_in_a_ticket_are_refused(browser_client, as_form):
    body = {"category": "other", "text": "a\u0000b", "contact": "1\u0000"}
    if as_form:
        response = browser_client.client.post(
            "/api/v1/support/tickets/", body, HTTP_X_CSRFTOKEN=browser_client.csrf
        )
    else:
        response = browser_client.client.post(
            "/api/v1/support/tickets/",
            json.dumps(body),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=browser_client.csrf,
        )
    assert_refused(response, 400, "malformed_request")


@pytest.mark.parametrize("text", ["\\ud800", "\\udfff x", "ok\\ud83d"])
def test_a_lone_surrogate_in_json_is_refused(answering, attempt, text):
    essay = questions(attempt)["essay"]
    body = ('{"entries": [{"question": ' + str(essay.id) + ', "value": "' + text + '", "seq": 1}]}').encode()
    response = raw_post(answering, "/api/v1/candidate/attempt/answers/", body)
    assert_refused(response, 400, "malformed_request")
    assert not Answer.objects.exists()


def test_a_real_emoji_written_as_a_surrogate_pair_is_kept(answering, attempt):
    essay = questions(attempt)["essay"]
    emoji = "\\ud83d\\ude00"  # 😀 as JSON writes it with escapes
    body = ('{"entries": [{"question": ' + str(essay.id) + ', "value": "' + emoji + '", "seq": 1}]}').encode()
    response = raw_post(answering, "/api/v1/candidate/attempt/answers/", body)
    assert response.status_code == 200
    assert Answer.objects.get().value == "\U0001f600"


def test_huge_numbers_in_the_organizer_api_are_refused(organizer):
    client = Client()
    client.force_login(organizer)
    for path in (
        f"/api/v1/organizer/batches/{2**70}/",
        "/api/v1/organizer/sessions/?limit=99999999999999999999",
        "/api/v1/organizer/sessions/?offset=-5",
        "/api/v1/organizer/papers/abc/",
    ):
        response = client.get(path)
        assert response.status_code in (200, 400, 404), (path, response.status_code)


# --- markup stays text everywhere ---------------------------------------------------------------


def test_a_script_in_a_candidates_name_is_inert_in_the_admin_changelist(attempt):
    Candidate.objects.filter(pk=attempt.registration.candidate_id).update(name=SCRIPT)
    client = Client()
    client.force_login(factories.staff_user("boss", superuser=True))
    pages = [
        client.get("/admin/candidates/candidate/"),
        client.get("/admin/candidates/candidate/", {"q": SCRIPT}),
        client.get(f"/admin/candidates/candidate/{attempt.registration.candidate_id}/change/"),
        client.get("/admin/exams/attempt/"),
        client.get("/admin/candidates/registration/"),
    ]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert SCRIPT not in html
        assert 'onerror="alert' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].content.decode()


def test_script_in_batch_and_session_names_is_inert_on_the_notice_page(formal_session):
    batch = formal_session.batch
    type(batch).objects.filter(pk=batch.pk).update(name=SCRIPT)
    type(formal_session).objects.filter(pk=formal_session.pk).update(name=SCRIPT, subject=SCRIPT)
    html = Client().get(f"/notice/{batch.slug}/").content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html


def test_a_script_in_a_candidates_name_is_inert_on_their_own_pages_and_api(browser_client, attempt):
    Candidate.objects.filter(pk=attempt.registration.candidate_id).update(name=SCRIPT)
    with at(START - timedelta(minutes=5)):
        login = browser_client.login(attempt.session, attempt.registration.candidate)
        pages = [browser_client.client.get(path) for path in ("/exam/confirm/", "/exam/", "/exam/photo/")]
    assert login.json()["attempt"]["candidate"]["name"] == SCRIPT  # JSON carries it as data
    assert login["Content-Type"] == "application/json"
    for page in pages:
        assert SCRIPT not in page.content.decode()


def test_a_script_in_a_ticket_is_inert_in_the_staff_queue(browser_client, support_agent):
    asked = browser_client.client.post(
        "/api/v1/support/tickets/",
        json.dumps({"category": "other", "text": SCRIPT, "contact": SCRIPT}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser_client.csrf,
    )
    assert asked.status_code == 201
    staff = Client()
    staff.force_login(support_agent)
    for path in ("/support/queue/", f"/support/queue/{asked.json()['ticket']['id']}/live/"):
        page = staff.get(path)
        assert page.status_code == 200, path
        assert SCRIPT not in page.content.decode()


def test_a_script_in_a_paper_is_inert_for_the_candidate(browser_client, attempt):
    Question.objects.filter(paper=attempt.session.paper).update(text=SCRIPT)
    with at(START + timedelta(minutes=1)):
        browser_client.login(attempt.session, attempt.registration.candidate)
        page = browser_client.client.get("/exam/")
        api = browser_client.get("attempt/")
    assert SCRIPT not in page.content.decode()
    assert api["Content-Type"] == "application/json"


def test_nul_characters_in_multipart_fields_are_refused(answering, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.EVIDENCE_ROOT = str(tmp_path)
    out = io.BytesIO()
    Image.new("RGB", (16, 16)).save(out, format="JPEG")
    response = answering.client.post(
        "/api/v1/candidate/attempt/photo/",
        {
            "photo": SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg"),
            "capture_id": "a\x00b",
        },
        HTTP_X_CSRFTOKEN=answering.csrf,
    )
    assert_refused(response, 400, "malformed_request")


def test_nul_characters_in_form_fields_are_refused(browser_client):
    response = browser_client.client.post(
        "/api/v1/candidate/entry/",
        "password=28%0033",
        content_type="application/x-www-form-urlencoded",
        HTTP_X_CSRFTOKEN=browser_client.csrf,
    )
    assert_refused(response, 400, "malformed_request")
