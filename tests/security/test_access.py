"""Access control for every URL and socket.

Every URL pattern is enumerated from the resolver, so a new view is covered the day it is
added: anonymous users reach only the allow-list (entry, login, notice, FAQ and the other
public candidate doors); a logged-in candidate reaches no staff page; staff roles reach only
what their group allows; and one candidate never reaches another's data.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from PIL import Image

from exams.models import Paper
from proctoring.models import Evidence, ReviewDecision
from tests import factories
from tests.helpers import START, CandidateClient, at
from tests.security.sockets import connect, live_attempt

# Views anonymous users may reach (with what they then get: a page, or a refusal of their input).
PUBLIC = {
    "favicon": "the site icon (a redirect to its static file)",
    "healthz": "the load balancer's health check (no session, no data)",
    "entry": "the entry page (考试口令)",
    "candidate-login-page": "the ID number page",
    "notice": "the batch's public notice",
    "set_language": "language switch",
    "candidate-csrf": "the CSRF cookie for the pages",
    "candidate-entry": "password check",
    "candidate-login": "login",
    "support-faq": "FAQ search",
    "support-tickets": "asking for help works before login (技术支持 on every page)",
    "support-my-tickets": "this browser's own tickets (none: empty list)",
    "support-ticket-messages": "follow-up on this browser's own ticket (others: 404)",
    "phone": "phone monitor page: its own cookie, refused without it",
    "phone-start": "phone monitor one-time link: refused unless the token is valid",
    "proctoring-phone-heartbeat": "phone cookie: refused without it",
    "proctoring-phone-snapshot": "phone cookie: refused without it",
    "candidate-results-page": "the result page: a form; shows a result only for the session password and ID number",
    "candidate-result": "POST: a result only for the session password and ID number (throttled); GET: logged-in only",
    "candidate-appeals": "an appeal only for the session password and ID number (throttled) or a logged-in candidate",
    "receipt-page": "the receipt check: valid or unknown, no personal data (throttled)",
    "receipt-check": "the receipt check API: valid or unknown, no personal data (throttled)",
    "login": "the admin login",
    "logout": "the admin logout",
}
STAFF_PREFIXES = (
    "admin/",
    "api/v1/organizer/",
    "api/schema/",
    "api/docs/",
    "monitor/",
    "proctoring/evidence/",
    "proctoring/registered-photo/",
    "proctoring/review/",
    "support/queue/",
)
CANDIDATE_PAGE_PREFIXES = ("exam/",)


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _sample(route: str, values: dict[str, str]) -> str:
    def converter(match: re.Match) -> str:
        name = match.group(2)
        return values.get(name, "1")

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(m.group(1), "1"), route)  # regex groups
    path = re.sub(r"<(?:(\w+):)?(\w+)>", converter, path)  # path() converters
    return "/" + path.replace("^", "").replace("$", "")


def all_paths(values: dict[str, str]) -> list[tuple[str, str | None]]:
    """(sample path, url name) for every pattern; each sample must resolve to its own pattern."""
    out = []
    for route, pattern in _walk(get_resolver().url_patterns):
        path = _sample(route, values)
        if pattern.name is None and "(?P<url>" in route:
            path = "/admin/no-such-page/"  # the admin's catch-all
        match = resolve(path)
        assert match.url_name == pattern.name, (route, path, match.url_name)
        out.append((path, pattern.name))
    return out


def jpeg(color=(90, 120, 150)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, format="JPEG")
    return out.getvalue()


def login_client(attempt) -> CandidateClient:
    client = CandidateClient()
    response = client.login_as(attempt)
    assert response.status_code == 200, response.content
    return client


@pytest.fixture
def world(db, attempt, other_attempt, organizer, settings, tmp_path):
    """Two logged-in candidates (A = 张三, B = 李四), B's ticket, photo and a review decision."""
    settings.EVIDENCE_ROOT = str(tmp_path)
    with at(START - timedelta(minutes=5)):
        a = login_client(attempt)
        b = login_client(other_attempt)
        photo = b.client.post(
            "/api/v1/candidate/attempt/photo/",
            {"photo": SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg")},
            HTTP_X_CSRFTOKEN=b.csrf,
        )
        assert photo.status_code == 201, photo.content
        ticket = b.client.post(
            "/api/v1/support/tickets/",
            json.dumps({"category": "camera", "text": "摄像头打不开", "contact": "1"}),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=b.csrf,
        )
        assert ticket.status_code == 201, ticket.content
    from proctoring.services.reviews import decision_record

    decision = decision_record(
        attempt_id=other_attempt.id,
        decision="warning",
        reason="多次离屏",
        reviewer=organizer,
        now=START,
    )
    evidence = Evidence.objects.get(attempt=other_attempt)
    return {
        "a": a,
        "b": b,
        "attempt": attempt,
        "other_attempt": other_attempt,
        "ticket_id": ticket.json()["ticket"]["id"],
        "evidence": evidence,
        "decision": decision,
        "values": {
            "batch": attempt.session.batch.slug,
            "session_id": str(attempt.session_id),
            "attempt_id": str(other_attempt.id),
            "ticket_id": str(ticket.json()["ticket"]["id"]),
            "evidence_id": str(evidence.id),
            "candidate_id": str(other_attempt.registration.candidate_id),
            "decision_id": str(decision.id),
            "pk": "1",
            "token": "not-a-token",
            "app_label": "exams",
        },
    }


def refused(response, *, candidate_page: bool = False) -> bool:
    if response.status_code in (401, 403, 405):
        return True
    if response.status_code in (301, 302):
        location = response["Location"]
        return location.startswith("/admin/login/") or (candidate_page and location in ("/", "/login/"))
    return False


def test_every_url_pattern_is_enumerated_and_resolves(world):
    paths = all_paths(world["values"])
    names = {name for _path, name in paths}
    assert {"entry", "notice", "candidate-answers", "evidence", "queue", "organizer-paper-list"} <= names
    assert len(paths) > 100


def test_anonymous_users_reach_only_the_public_doors(world):
    client = Client()  # no CSRF enforcement: the views' own checks are what is tested
    leaks = []
    for path, name in all_paths(world["values"]):
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            # /healthz answers 503 by design here: the unit tests run without the Redis it probes
            if name != "healthz":
                assert response.status_code < 500, (method, path, response.status_code)
            if name in PUBLIC:
                continue
            if not refused(
                response, candidate_page=path.startswith(tuple("/" + p for p in CANDIDATE_PAGE_PREFIXES))
            ):
                leaks.append((method.upper(), path, response.status_code))
    assert leaks == []


def test_the_public_doors_answer_anonymous_users(world):
    client = Client()
    assert client.get("/").status_code == 200
    assert client.get("/login/").status_code == 200
    assert client.get(f"/notice/{world['values']['batch']}/").status_code == 200
    assert client.get("/api/v1/support/faq/").status_code == 200
    assert client.get("/api/v1/support/tickets/mine/").json()["tickets"] == []


def test_a_logged_in_candidate_reaches_no_staff_page(world):
    a = world["a"]
    leaks = []
    for path, _name in all_paths(world["values"]):
        if not path.lstrip("/").startswith(STAFF_PREFIXES) or path in ("/admin/login/", "/admin/logout/"):
            continue
        for method in ("get", "post"):
            response = getattr(a.client, method)(path, HTTP_X_CSRFTOKEN=a.csrf)
            if not refused(response):
                leaks.append((method.upper(), path, response.status_code))
    assert leaks == []


def test_candidate_a_cannot_follow_up_on_candidate_bs_ticket(world):
    a = world["a"]
    response = a.client.post(
        f"/api/v1/support/tickets/{world['ticket_id']}/messages/",
        json.dumps({"text": "我是别人"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=a.csrf,
    )
    mine = a.client.get("/api/v1/support/tickets/mine/").json()["tickets"]
    assert response.status_code == 404
    assert response.json()["code"] in ("not_found", "ticket_not_found")
    assert [t["id"] for t in mine] == []


def test_candidate_a_cannot_see_candidate_bs_photo_or_review(world):
    a = world["a"]
    for path in (
        f"/proctoring/evidence/{world['evidence'].id}/",
        f"/proctoring/review/attempt/{world['other_attempt'].id}/",
        f"/support/queue/{world['ticket_id']}/live/",
    ):
        response = a.client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), path


def test_the_candidate_api_only_ever_shows_the_sessions_own_attempt(world):
    with at(START - timedelta(minutes=4)):
        a_sees = world["a"].get("attempt/").json()
        b_sees = world["b"].get("attempt/").json()
    assert a_sees["id"] == world["attempt"].id
    assert b_sees["id"] == world["other_attempt"].id


def test_an_anonymous_browser_cannot_read_someone_elses_ticket(world):
    stranger = CandidateClient()
    response = stranger.client.post(
        f"/api/v1/support/tickets/{world['ticket_id']}/messages/",
        json.dumps({"text": "hi"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=stranger.csrf,
    )
    assert response.status_code == 404


def test_support_staff_cannot_decide_on_evidence_or_see_it(world, support_agent):
    client = Client()
    client.force_login(support_agent)
    attempt_id = world["other_attempt"].id
    decide = client.post(
        f"/proctoring/review/attempt/{attempt_id}/decide/", {"decision": "voided", "reason": "x"}
    )
    confirm = client.post(f"/proctoring/review/attempt/{attempt_id}/confirm/{world['decision'].id}/")
    photo = client.get(f"/proctoring/evidence/{world['evidence'].id}/")
    admin_decision = client.post("/admin/proctoring/reviewdecision/add/", {"decision": "voided"})
    assert (decide.status_code, confirm.status_code, photo.status_code) == (403, 403, 403)
    assert admin_decision.status_code == 403
    assert list(ReviewDecision.objects.values_list("decision", flat=True)) == ["warning"]


def test_support_staff_cannot_touch_answers(world, support_agent):
    client = Client()
    client.force_login(support_agent)
    attempt_id = world["attempt"].id
    change = client.post(f"/admin/exams/attempt/{attempt_id}/change/", {"state": "submitted"})
    as_candidate = client.post(
        "/api/v1/candidate/attempt/answers/",
        json.dumps({"entries": [{"question": 1, "value": "A", "seq": 1}]}),
        content_type="application/json",
    )
    assert change.status_code == 403
    assert as_candidate.status_code in (401, 403) and as_candidate.json()["code"] in (
        "not_logged_in",
        "csrf_failed",
    )
    world["attempt"].refresh_from_db()
    assert world["attempt"].state == "checked_in"
    assert not world["attempt"].answers.exists()


def test_proctors_cannot_edit_papers(world, proctor):
    client = Client()
    client.force_login(proctor)
    paper = world["attempt"].session.paper
    body = json.dumps({"name": "改过的试卷", "subject": "x", "batch": paper.batch_id, "questions": []})
    api = [
        client.post("/api/v1/organizer/papers/", body, content_type="application/json"),
        client.put(f"/api/v1/organizer/papers/{paper.id}/", body, content_type="application/json"),
        client.patch(
            f"/api/v1/organizer/papers/{paper.id}/",
            json.dumps({"name": "改"}),
            content_type="application/json",
        ),
        client.delete(f"/api/v1/organizer/papers/{paper.id}/"),
    ]
    admin = [
        client.get("/admin/exams/paper/add/"),
        client.post(f"/admin/exams/paper/{paper.id}/change/", {"name": "改过的试卷"}),
        client.post(f"/admin/exams/paper/{paper.id}/delete/", {"post": "yes"}),
    ]
    assert [r.status_code for r in api] == [403, 403, 403, 403]
    assert [r.status_code for r in admin] == [403, 403, 403]
    assert Paper.objects.get(pk=paper.id).name == paper.name
    assert client.get(f"/api/v1/organizer/papers/{paper.id}/").status_code == 200  # reading is their job


# --- sockets -------------------------------------------------------------------------------------


def _staff_cookie(username: str, group: str | None, *, superuser: bool = False) -> str:
    client = Client()
    client.force_login(factories.staff_user(username, group, superuser=superuser))
    return f"sessionid={client.cookies['sessionid'].value}"


def _candidate_cookie() -> tuple[str, int]:
    attempt, password, id_number = live_attempt()
    client = CandidateClient()
    assert client.post("login/", {"password": password, "id_number": id_number}).status_code == 200
    return f"sessionid={client.client.cookies['sessionid'].value}", attempt.session_id


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_only_staff_who_may_monitor_open_the_monitor_socket():
    cookie, session_id = await sync_to_async(_candidate_cookie)()
    support = await sync_to_async(_staff_cookie)("helpdesk", "support")
    proctor = await sync_to_async(_staff_cookie)("watcher", "proctor")
    path = f"/ws/monitor/{session_id}/"
    results = {}
    for who, c in (("anonymous", None), ("candidate", cookie), ("support", support), ("proctor", proctor)):
        ws, connected = await connect(path, cookie=c)
        results[who] = connected
        if connected:
            await ws.disconnect()
    assert results == {"anonymous": False, "candidate": False, "support": False, "proctor": True}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_only_support_staff_open_the_ticket_queue_socket():
    cookie, _session_id = await sync_to_async(_candidate_cookie)()
    support = await sync_to_async(_staff_cookie)("helpdesk", "support")
    proctor = await sync_to_async(_staff_cookie)("watcher", "proctor")
    results = {}
    for who, c in (("anonymous", None), ("candidate", cookie), ("proctor", proctor), ("support", support)):
        ws, connected = await connect("/ws/support/", cookie=c)
        results[who] = connected
        if connected:
            await ws.disconnect()
    assert results["anonymous"] is False and results["candidate"] is False
    assert results["support"] is True
    assert results["proctor"] is False


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_attempt_socket_needs_a_candidate_login_not_a_staff_one():
    staff = await sync_to_async(_staff_cookie)("boss", None, superuser=True)
    for cookie in (None, staff):
        _ws, connected = await connect("/ws/attempt/", cookie=cookie)
        assert connected is False


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_my_tickets_socket_refuses_a_browser_with_no_tickets_and_no_login():
    _ws, connected = await connect("/ws/support/mine/")
    assert connected is False


def test_a_logged_in_candidate_gets_only_their_own_result(world):
    a = world["a"]
    with at(START - timedelta(minutes=4)):
        mine = a.client.get("/api/v1/candidate/result/").json()
    assert mine["published"] is False and mine["score"] is None
    assert Client().get("/api/v1/candidate/result/").status_code in (401, 403)
