from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exams import statuses
from exams.models import Answer, Attempt, LateAnswer
from tests import factories
from tests.helpers import START, at


def qids(attempt):
    return list(attempt.session.paper.questions.order_by("position").values_list("id", flat=True))


def test_questions_are_hidden_until_the_start_and_never_carry_answers(logged_in, attempt):
    client = logged_in
    with at(START - timedelta(seconds=1)):
        before = client.get("attempt/").json()
    with at(START):
        after = client.get("attempt/").json()
    assert before["questions"] == []
    assert len(after["questions"]) == 5
    assert {k for q in after["questions"] for k in q} == {"id", "kind", "text", "choices", "points"}
    assert "correct" not in str(after)
    for key in ("state", "locked", "server_time", "starts_at", "ends_at", "deadline", "submit_opens_at",
                "leaves_used", "leaves_max", "answers", "last_seq", "receipt"):
        assert key in after


def test_saving_before_the_start_is_refused(logged_in, attempt):
    client = logged_in
    single = qids(attempt)[0]
    with at(START - timedelta(seconds=1)):
        response = client.save((single, "A", 1))
    assert response.json()["code"] == "not_started"


def test_the_highest_seq_wins_whatever_the_order(logged_in, attempt):
    client = logged_in
    single = qids(attempt)[0]
    with at(START + timedelta(minutes=1)):
        assert client.save((single, "B", 2)).json() == {"acked_seq": 2}
        assert client.save((single, "A", 1)).json() == {"acked_seq": 2}  # late replay
        assert client.save((single, "B", 2)).json() == {"acked_seq": 2}  # duplicate
        assert client.save((single, "C", 3), (single, "A", 1)).json() == {"acked_seq": 3}
        detail = client.get("attempt/").json()
    assert detail["answers"][str(single)] == {"value": "C", "seq": 3}
    assert detail["last_seq"] == 3
    assert detail["state"] == "in_progress"
    assert Answer.objects.filter(attempt=attempt).count() == 1


def test_every_kind_of_answer_is_stored(logged_in, attempt):
    client = logged_in
    single, multiple, truth, fill, essay = qids(attempt)
    with at(START + timedelta(minutes=1)):
        response = client.save(
            (single, "B", 1), (multiple, ["A", "C"], 2), (truth, True, 3), (fill, "安全第一", 4),
            (essay, "我的回答", 5), current=essay,
        )
    assert response.status_code == 200
    stored = dict(Answer.objects.filter(attempt=attempt).values_list("question_id", "value"))
    assert stored == {single: "B", multiple: ["A", "C"], truth: True, fill: "安全第一", essay: "我的回答"}
    assert Attempt.objects.get(pk=attempt.pk).current_question == essay


@pytest.mark.parametrize(
    ("index", "value"),
    [(0, "Z"), (0, ["A"]), (1, "A"), (1, ["A", "A"]), (2, "true"), (3, 5), (4, {"x": 1})],
)
def test_a_value_that_does_not_fit_the_question_is_refused_whole(logged_in, attempt, index, value):
    client = logged_in
    ids = qids(attempt)
    with at(START + timedelta(minutes=1)):
        response = client.save((ids[0], "A", 1), (ids[index], value, 2))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_answer"
    assert not Answer.objects.filter(attempt=attempt).exists()


@pytest.mark.parametrize(
    "entry",
    [{"question": 999999, "value": "A", "seq": 1}, {"question": "x", "value": "A", "seq": 1},
     {"question": None, "value": "A", "seq": -1}, {"value": "A", "seq": 1}],
)
def test_unknown_questions_and_bad_seqs_are_refused(logged_in, attempt, entry):
    client = logged_in
    with at(START + timedelta(minutes=1)):
        response = client.post("attempt/answers/", {"entries": [entry]})
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid_answer", "invalid")


def test_a_huge_seq_is_refused(logged_in, attempt):
    client = logged_in
    with at(START + timedelta(minutes=1)):
        response = client.save((qids(attempt)[0], "A", 2**63))
    assert response.status_code == 400


def test_an_answer_just_before_the_deadline_is_kept_and_after_the_grace_refused(logged_in, attempt):
    client = logged_in
    single = qids(attempt)[0]
    with at(attempt.deadline - timedelta(seconds=1)):
        assert client.save((single, "A", 1)).status_code == 200
    with at(attempt.deadline + timedelta(seconds=5)):
        late = client.save((single, "B", 2))
    assert late.json()["code"] == "collected"
    assert Answer.objects.get(attempt=attempt).value == "A"
    assert LateAnswer.objects.get(attempt=attempt).value == "B"


def test_submit_is_refused_before_the_minimum_time_and_says_when(logged_in, attempt):
    client = logged_in
    with at(START + timedelta(minutes=59, seconds=59)):
        response = client.post("attempt/submit/")
    assert response.json()["code"] == "submit_too_early"
    assert "10:00" in response.json()["detail"]  # 09:00 start + 60 minutes, Beijing time


def test_submit_scores_and_gives_a_receipt_then_refuses_writes(logged_in, attempt):
    client = logged_in
    single, multiple, truth, fill, essay = qids(attempt)
    with at(START + timedelta(minutes=60)):
        client.save((single, "B", 1), (multiple, ["C", "A"], 2), (truth, False, 3), (fill, " 安全第一 ", 4),
                    (essay, "答", 5))
        response = client.post("attempt/submit/")
        again = client.post("attempt/submit/")
        write = client.save((single, "A", 6))
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "submitted" and len(body["receipt"]) == 64
    assert again.json() == body
    assert write.json()["code"] == "submitted"
    row = Attempt.objects.get(pk=attempt.pk)
    assert row.state == statuses.SUBMITTED
    assert row.score == 6  # single 2 + multiple 2 + fill-in 2; true/false wrong; essay by hand
    assert row.needs_marking is True


def test_a_new_login_supersedes_the_old_page(make_client, logged_in, attempt):
    old = logged_in
    new = make_client()
    single = qids(attempt)[0]
    with at(START + timedelta(minutes=2)):
        assert new.login(attempt.session, attempt.registration.candidate).status_code == 200
        stale = old.save((single, "A", 1))
        fresh = new.save((single, "B", 1))
        stale_read = old.get("attempt/")
    assert stale.json()["code"] == "superseded"
    assert stale_read.json()["code"] == "superseded"
    assert fresh.status_code == 200
    assert Answer.objects.get(attempt=attempt).value == "B"


def test_screen_leaves_warn_then_lock(logged_in, attempt):
    client = logged_in
    with at(START + timedelta(minutes=2)):
        responses = [
            client.post("attempt/events/", {"events": [{"kind": "screen_leave", "client_time": None}]}).json()
            for _ in range(5)
        ]
        write = client.save((qids(attempt)[0], "A", 1))
    assert [r["leaves_used"] for r in responses] == [1, 2, 3, 4, 5]
    assert [r["locked"] for r in responses] == [False, False, False, False, True]
    assert write.json()["code"] == "locked"


def test_unknown_event_kinds_are_refused(logged_in):
    client = logged_in
    with at(START):
        response = client.post("attempt/events/", {"events": [{"kind": "submit"}]})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_event"


def test_without_login_every_candidate_endpoint_says_not_logged_in(browser_client, db):
    for method, path in [("get", "attempt/"), ("post", "attempt/answers/"), ("post", "attempt/submit/"),
                         ("post", "attempt/events/"), ("post", "attempt/photo/")]:
        response = getattr(browser_client, method)(path)
        assert response.status_code in (401, 403), path
        assert response.json()["code"] == "not_logged_in", path


def test_a_candidate_only_ever_reaches_their_own_attempt(make_client, logged_in, attempt, other_candidate):
    client = logged_in
    other = factories.AttemptFactory(
        registration=factories.RegistrationFactory(candidate=other_candidate, session=attempt.session)
    )
    with at(START + timedelta(minutes=1)):
        body = client.get("attempt/").json()
    assert body["id"] == attempt.id != other.id


def test_autosave_takes_a_bounded_number_of_queries(logged_in, attempt):
    client = logged_in
    ids = qids(attempt)
    with at(START + timedelta(minutes=1)):
        client.save((ids[0], "A", 1))  # first save also moves to in_progress
        client.get("attempt/")  # warm the paper cache
        with CaptureQueriesContext(connection) as one:
            assert client.save((ids[0], "B", 2)).status_code == 200
        with CaptureQueriesContext(connection) as many:
            assert client.save(*[(q, v, 3 + i) for i, (q, v) in enumerate(
                zip(ids, ["A", ["B"], True, "x", "y"], strict=True))]).status_code == 200
    sql = [q["sql"] for q in one.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(sql) <= 4, sql
    assert len(many.captured_queries) == len(one.captured_queries)
