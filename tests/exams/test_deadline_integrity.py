"""The end of the exam (issue 13), on the time machine, at ±1 s of each boundary: the answer
grace, late answers kept and accepted, emergency backups, reopen then collect again, re-admit
after the late cutoff and after the end, a session-wide time credit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from exams import statuses
from exams.models import Answer, Attempt, AttemptAudit, LateAnswer
from exams.services import collection
from exams.services.backups import backup_public_key
from tests import factories
from tests.exams.backup_files import as_bytes, make_backup
from tests.helpers import START, CandidateClient, at

API = "/api/v1/organizer/"
GRACE = timedelta(seconds=settings.ANSWER_GRACE_SECONDS)
SECOND = timedelta(seconds=1)


def qids(attempt) -> list[int]:
    return list(attempt.session.paper.questions.order_by("position").values_list("id", flat=True))


def stored(attempt) -> dict:
    return dict(Answer.objects.filter(attempt=attempt).values_list("question_id", "value"))


def fresh(attempt) -> Attempt:
    return Attempt.objects.get(pk=attempt.pk)


@pytest.fixture
def org(organizer) -> Client:
    client = Client()
    client.force_login(organizer)
    return client


def post(client: Client, path: str, body: dict):
    return client.post(API + path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def answered(logged_in, attempt):
    """张三 answered the first question (seq 1) a minute after the start."""
    with at(START + timedelta(minutes=1)):
        assert logged_in.save((qids(attempt)[0], "A", 1)).status_code == 200
    return logged_in


# --- the grace ------------------------------------------------------------------------------------


@pytest.mark.parametrize("after", [SECOND, GRACE - SECOND])
def test_an_answer_sent_before_the_deadline_counts_when_it_arrives_after_the_collection(answered, attempt, after):
    with at(attempt.deadline):
        assert collection.sweep(now=attempt.deadline).collected == {attempt.session_id: 1}
    collected = fresh(attempt)
    assert collected.state == statuses.COLLECTED and collected.receipt
    with at(attempt.deadline + after):
        response = answered.save((qids(attempt)[0], "B", 2), (qids(attempt)[2], True, 3))
    assert response.status_code == 200, response.content
    assert response.json() == {"acked_seq": 3}
    assert stored(attempt) == {qids(attempt)[0]: "B", qids(attempt)[2]: True}
    now = fresh(attempt)
    assert now.state == statuses.COLLECTED
    assert now.receipt and now.receipt != collected.receipt  # re-scored, receipt recomputed
    assert now.score == 4  # both now count: B (the single choice's key) and true
    audit = AttemptAudit.objects.get(attempt=attempt, action="grace_answers")
    assert audit.details["old_receipt"] == collected.receipt and audit.details["receipt"] == now.receipt
    assert not LateAnswer.objects.filter(attempt=attempt).exists()


@pytest.mark.parametrize("after", [GRACE, GRACE + SECOND, timedelta(hours=3)])
def test_after_the_grace_answers_are_kept_as_late_answers_and_the_page_is_told_so(answered, attempt, after):
    with at(attempt.deadline):
        collection.sweep(now=attempt.deadline)
    receipt = fresh(attempt).receipt
    with at(attempt.deadline + after):
        response = answered.save((qids(attempt)[0], "B", 2), (qids(attempt)[1], ["A"], 3))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "collected" and body["kept"] == 2
    assert "没有计入成绩" in body["detail"] and "考务人员" in body["detail"]
    assert "已全部保存" not in body["detail"]
    assert stored(attempt) == {qids(attempt)[0]: "A"}
    assert fresh(attempt).receipt == receipt
    late = list(LateAnswer.objects.filter(attempt=attempt).order_by("seq"))
    assert [(r.question_id_sent, r.value, r.seq, r.source) for r in late] == [
        (qids(attempt)[0], "B", 2, "network"), (qids(attempt)[1], ["A"], 3, "network")]


def test_late_answers_are_kept_even_before_the_sweep_collected(answered, attempt):
    """Whatever the state: an attempt still open past deadline + grace keeps them too."""
    with at(attempt.deadline + GRACE):
        response = answered.save((qids(attempt)[0], "C", 2))
    assert response.json()["code"] == "collected"
    assert fresh(attempt).state == statuses.IN_PROGRESS
    assert LateAnswer.objects.filter(attempt=attempt, seq=2).exists()


def test_a_candidate_who_submitted_cannot_change_answers_in_the_grace(answered, attempt):
    with at(START + timedelta(minutes=61)):
        assert answered.post("attempt/submit/").status_code == 200
    with at(attempt.deadline + SECOND):
        response = answered.save((qids(attempt)[0], "B", 2))
    assert response.json()["code"] == "submitted"
    assert stored(attempt) == {qids(attempt)[0]: "A"}


def test_autosave_stays_a_bounded_number_of_queries_also_in_the_grace(
    answered, attempt, django_assert_max_num_queries
):
    ids = qids(attempt)
    # In time: savepoint, the locked row, one upsert, one update, release - whatever the batch size.
    # In the grace after collection: plus the answers held, the new receipt and its audit row.
    # After the grace: the locked row and one insert of the late answers.
    with at(START + timedelta(minutes=2)):
        answered.get("attempt/")  # warm the paper cache
    with at(START + timedelta(minutes=2)), django_assert_max_num_queries(5):
        assert answered.save((ids[0], "B", 2)).status_code == 200
    with at(START + timedelta(minutes=2)), django_assert_max_num_queries(5):
        assert answered.save(*[(q, v, 3 + i) for i, (q, v) in enumerate(
            zip(ids, ["A", ["B"], True, "x", "y"], strict=True))]).status_code == 200
    with at(attempt.deadline):
        collection.sweep(now=attempt.deadline)
    with at(attempt.deadline + SECOND), django_assert_max_num_queries(8):
        assert answered.save((ids[0], "C", 9)).status_code == 200
    with at(attempt.deadline + GRACE), django_assert_max_num_queries(4):
        assert answered.save((ids[0], "A", 10)).status_code == 409


# --- late answers: listed and accepted --------------------------------------------------------------


def test_an_organizer_lists_and_accepts_late_answers_highest_seq_still_winning(answered, attempt, org):
    ids = qids(attempt)
    with at(START + timedelta(minutes=5)):
        answered.save((ids[1], ["A", "C"], 5))
    with at(attempt.deadline):
        collection.sweep(now=attempt.deadline)
    with at(attempt.deadline + GRACE + SECOND):
        answered.save((ids[0], "B", 6), (ids[1], ["B"], 4), (ids[3], "安全第一", 7))
    old = fresh(attempt)
    listed = org.get(f"{API}attempts/{attempt.id}/late-answers/")
    assert listed.status_code == 200
    rows = listed.json()["late_answers"]
    assert [(r["question"], r["value"], r["seq"], r["source"]) for r in rows] == [
        (ids[0], "B", 6, "network"), (ids[1], ["B"], 4, "network"), (ids[3], "安全第一", 7, "network")]
    assert {"id", "question", "value", "seq", "received_at", "source"} <= set(rows[0])

    refused = post(org, f"attempts/{attempt.id}/accept-late-answers/", {"reason": ""})
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    with at(attempt.deadline + timedelta(minutes=30)):
        accepted = post(org, f"attempts/{attempt.id}/accept-late-answers/", {"reason": "考点网络故障，核实后采纳"})
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert body["applied"] == 3 and body["receipt"] != old.receipt and len(body["receipt"]) == 64
    # seq 4 for question 2 loses to the seq 5 the server already held
    assert stored(attempt) == {ids[0]: "B", ids[1]: ["A", "C"], ids[3]: "安全第一"}
    now = fresh(attempt)
    assert now.receipt == body["receipt"] and now.score == old.score + 4
    audit = AttemptAudit.objects.get(attempt=attempt, action="accept_late_answers")
    assert audit.details["old_receipt"] == old.receipt and audit.reason == "考点网络故障，核实后采纳"
    again = post(org, f"attempts/{attempt.id}/accept-late-answers/", {"reason": "再次"})
    assert again.json() == {"applied": 0, "receipt": now.receipt}


def test_accepting_only_some_late_answers_by_id(answered, attempt, org):
    ids = qids(attempt)
    with at(attempt.deadline + GRACE):
        answered.save((ids[0], "B", 2), (ids[2], True, 3))
    first, second = LateAnswer.objects.filter(attempt=attempt).order_by("seq")
    bad = post(org, f"attempts/{attempt.id}/accept-late-answers/", {"reason": "x", "ids": [999999]})
    assert bad.status_code == 400 and "999999" in bad.json()["errors"]["ids"]
    with at(attempt.deadline + timedelta(minutes=1)):
        collection.sweep(now=attempt.deadline + timedelta(minutes=1))
        ok = post(org, f"attempts/{attempt.id}/accept-late-answers/", {"reason": "只采纳判断题", "ids": [second.id]})
    assert ok.json()["applied"] == 1
    assert stored(attempt) == {ids[0]: "A", ids[2]: True}
    assert LateAnswer.objects.get(pk=first.pk).applied_at is None


def test_a_proctor_may_not_accept_late_answers_or_reopen(answered, attempt, proctor):
    client = Client()
    client.force_login(proctor)
    for path in ("accept-late-answers/", "reopen/", "readmit/"):
        response = post(client, f"attempts/{attempt.id}/{path}", {"reason": "x", "minutes": 5})
        assert response.status_code == 403, path


# --- emergency backups --------------------------------------------------------------------------------


def backup_for(attempt, entries, *, offset=0, key=None):
    key = key or backup_public_key(batch_id=attempt.session.batch_id)
    return make_backup(attempt_id=attempt.id, key_id=key["key_id"], spki=key["spki"], entries=entries,
                       clock_offset_ms=offset)


def upload(client, attempt, raw: bytes):
    return client.post(f"{API}attempts/{attempt.id}/backup/",
                       {"file": SimpleUploadedFile("作答备份.json", raw, content_type="application/json")})


def ms(instant) -> float:
    return instant.timestamp() * 1000


def test_a_backup_file_becomes_late_answers_checked_against_the_deadline_by_the_corrected_clock(
    answered, attempt, org
):
    ids = qids(attempt)
    skew = 3_600_000  # the computer's clock is an hour fast: server = client - 1 h
    deadline = attempt.deadline
    entries = [
        {"question": ids[0], "value": "B", "seq": 2, "t": ms(deadline - timedelta(seconds=30)) + skew, "o": -skew},
        {"question": ids[2], "value": False, "seq": 3, "t": ms(deadline) + skew},  # the file's offset
        {"question": ids[3], "value": "太晚", "seq": 4, "t": ms(deadline + SECOND) + skew, "o": -skew},
    ]
    with at(deadline + timedelta(minutes=20)):
        collection.sweep(now=deadline + timedelta(minutes=20))
        response = upload(org, attempt, as_bytes(backup_for(attempt, entries, offset=-skew)))
    assert response.status_code == 200, response.content
    assert response.json() == {"entries": 3, "stored": 2, "after_deadline": 1, "duplicates": 0}
    late = list(LateAnswer.objects.filter(attempt=attempt).order_by("seq"))
    assert [(r.question_id_sent, r.value, r.source) for r in late] == [
        (ids[0], "B", "backup"), (ids[2], False, "backup")]
    assert late[0].recorded_at == deadline - timedelta(seconds=30)
    assert AttemptAudit.objects.filter(attempt=attempt, action="backup_import").exists()
    with at(deadline + timedelta(minutes=21)):
        again = upload(org, attempt, as_bytes(backup_for(attempt, entries, offset=-skew)))
        accepted = post(org, f"attempts/{attempt.id}/accept-late-answers/", {"reason": "考生停电，备份核实"})
    assert again.json()["duplicates"] == 2
    assert accepted.json()["applied"] == 2
    assert stored(attempt) == {ids[0]: "B", ids[2]: False}


def test_a_tampered_foreign_or_strange_backup_is_refused_with_a_clear_message(answered, attempt, org, other_candidate):
    ids = qids(attempt)
    entry = [{"question": ids[0], "value": "B", "seq": 2, "t": ms(attempt.deadline) - 5000}]
    good = backup_for(attempt, entry)

    tampered = dict(good)
    raw = bytearray(__import__("base64").b64decode(good["ciphertext"]))
    raw[0] ^= 1
    tampered["ciphertext"] = __import__("base64").b64encode(bytes(raw)).decode()
    response = upload(org, attempt, as_bytes(tampered))
    assert response.status_code == 400 and response.json()["code"] == "backup_refused"
    assert "损坏或被改动" in response.json()["detail"]

    # another attempt's file, even with its attempt number edited to this one
    other = factories.AttemptFactory(registration=factories.RegistrationFactory(
        candidate=other_candidate, session=attempt.session))
    foreign = backup_for(other, entry)
    assert "不是当前作答" in upload(org, attempt, as_bytes(foreign)).json()["detail"]
    assert "损坏或被改动" in upload(org, attempt, as_bytes({**foreign, "attempt": attempt.id})).json()["detail"]

    # a file encrypted for another batch
    batch = factories.BatchFactory()
    elsewhere = backup_for(attempt, entry, key=backup_public_key(batch_id=batch.id))
    assert "不是用本批次的密钥加密的" in upload(org, attempt, as_bytes(elsewhere)).json()["detail"]

    assert "不是作答备份文件" in upload(org, attempt, b"hello").json()["detail"]
    assert not LateAnswer.objects.filter(attempt=attempt).exists()


def test_the_private_key_is_stored_encrypted_and_shown_nowhere(attempt, org):
    from exams.models import BackupKey

    backup_public_key(batch_id=attempt.session.batch_id)
    key = BackupKey.objects.get(batch=attempt.session.batch)
    assert key.private_key_sealed.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    for url in (f"/admin/exams/attempt/{attempt.id}/change/", f"/monitor/attempt/{attempt.id}/",
                f"/admin/exams/exambatch/{attempt.session.batch_id}/change/", f"{API}batches/"):
        html = org.get(url).content.decode()
        assert "PRIVATE KEY" not in html and key.private_key_sealed[40:80] not in html, url
    assert org.get("/admin/exams/backupkey/").status_code == 404


# --- reopen -----------------------------------------------------------------------------------------


def test_reopen_then_collect_again_gives_a_new_receipt_and_keeps_the_old_one_in_the_audit(answered, attempt, org):
    ids = qids(attempt)
    with at(attempt.deadline):
        collection.sweep(now=attempt.deadline)
    old = fresh(attempt)
    reopened_at = attempt.deadline + timedelta(minutes=10)
    with at(reopened_at):
        no_reason = post(org, f"attempts/{attempt.id}/reopen/", {"reason": " ", "minutes": 15})
        response = post(org, f"attempts/{attempt.id}/reopen/", {"reason": "误收卷：考点断电", "minutes": 15})
    assert no_reason.status_code == 400
    assert response.status_code == 200, response.content
    new_deadline = reopened_at + timedelta(minutes=15)
    assert response.json()["state"] == "in_progress"
    assert response.json()["deadline"] == new_deadline.isoformat()
    now = fresh(attempt)
    assert now.receipt == "" and now.finished_at is None and now.deadline == new_deadline
    audit = AttemptAudit.objects.get(attempt=attempt, action="reopen")
    assert audit.details["old_receipt"] == old.receipt and audit.actor is not None
    assert (audit.from_state, audit.to_state) == ("collected", "in_progress")

    # the page still open keeps working without a new login
    with at(new_deadline - SECOND):
        assert answered.save((ids[0], "C", 2)).status_code == 200
        assert collection.sweep(now=new_deadline - SECOND).collected == {}
    with at(new_deadline):
        assert collection.sweep(now=new_deadline).collected == {attempt.session_id: 1}
    again = fresh(attempt)
    assert again.state == statuses.COLLECTED and again.receipt and again.receipt != old.receipt
    assert AttemptAudit.objects.filter(attempt=attempt, action="collect").count() == 2


def test_a_reopened_attempt_can_be_submitted_and_its_candidate_logs_in_after_the_window(answered, attempt, org):
    with at(START + timedelta(minutes=61)):
        answered.post("attempt/submit/")
    reopened_at = attempt.deadline + timedelta(minutes=1)
    with at(reopened_at):
        assert post(org, f"attempts/{attempt.id}/reopen/", {"reason": "误交卷", "minutes": 5}).status_code == 200
        relogin = CandidateClient().login_as(attempt)
        refused = post(org, f"attempts/{attempt.id}/reopen/", {"reason": "again", "minutes": 5})
    assert relogin.status_code == 200 and relogin.json()["attempt"]["state"] == "in_progress"
    assert refused.status_code == 409 and refused.json()["code"] == "illegal_transition"
    with at(reopened_at + timedelta(minutes=5) + SECOND):
        assert CandidateClient().login_as(attempt).json()["code"] == "session_expired"
    with at(reopened_at + timedelta(minutes=2)):
        client = CandidateClient()
        client.login_as(attempt)
        submitted = client.post("attempt/submit/")
    assert submitted.status_code == 200 and len(submitted.json()["receipt"]) == 64


# --- re-admit ---------------------------------------------------------------------------------------


def test_a_late_candidate_re_admitted_logs_in_after_the_late_cutoff(attempt, org, browser_client):
    cutoff = START + timedelta(minutes=30)
    with at(cutoff):
        collection.sweep(now=cutoff)
    assert fresh(attempt).state == statuses.LATE
    with at(cutoff + SECOND):
        assert browser_client.login_as(attempt).json()["code"] == "late"
        response = post(org, f"attempts/{attempt.id}/readmit/", {"reason": "考生家中停电，经核实"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "registered"
    assert response.json()["deadline"] == attempt.deadline.isoformat()
    with at(cutoff + timedelta(seconds=2)):
        login = browser_client.login_as(attempt)
        collection.sweep(now=cutoff + timedelta(seconds=2))
    assert login.status_code == 200 and fresh(attempt).state == statuses.CHECKED_IN
    assert AttemptAudit.objects.get(attempt=attempt, action="readmit").reason == "考生家中停电，经核实"


def test_a_registered_candidate_not_yet_late_cannot_be_re_admitted(attempt, org):
    with at(START):
        response = post(org, f"attempts/{attempt.id}/readmit/", {"reason": "x"})
    assert response.status_code == 409 and response.json()["code"] == "illegal_transition"


def test_an_absent_candidate_re_admitted_after_the_end_has_their_own_deadline(attempt, org, browser_client):
    end = attempt.deadline
    with at(end):
        collection.sweep(now=end)
    assert fresh(attempt).state == statuses.ABSENT
    later = end + timedelta(minutes=5)
    with at(later):
        assert browser_client.login_as(attempt).json()["code"] == "session_expired"
        without_minutes = post(org, f"attempts/{attempt.id}/readmit/", {"reason": "停电"})
        response = post(org, f"attempts/{attempt.id}/readmit/", {"reason": "停电", "minutes": 30})
    assert without_minutes.status_code == 400 and "minutes" in without_minutes.json()["errors"]
    own = later + timedelta(minutes=30)
    assert response.json() == {**response.json(), "state": "registered", "deadline": own.isoformat()}
    with at(own - SECOND):
        collection.sweep(now=own - SECOND)
        assert fresh(attempt).state == statuses.REGISTERED  # not absent again before their own deadline
        entry = browser_client.post("entry/", {"password": attempt.session.password})
        login = browser_client.login_as(attempt)
    assert entry.status_code == 200 and login.status_code == 200
    assert login.json()["attempt"]["deadline"] == own.isoformat()
    with at(own - SECOND):
        assert browser_client.save((qids(attempt)[0], "B", 1)).status_code == 200
    with at(own):
        collection.sweep(now=own)
    assert fresh(attempt).state == statuses.COLLECTED


def test_others_still_get_session_expired_after_the_window(attempt, org, other_candidate):
    other = factories.AttemptFactory(registration=factories.RegistrationFactory(
        candidate=other_candidate, session=attempt.session))
    end = attempt.deadline
    with at(end):
        collection.sweep(now=end)
    with at(end + SECOND):
        post(org, f"attempts/{attempt.id}/readmit/", {"reason": "停电", "minutes": 30})
        assert CandidateClient().login_as(other).json()["code"] == "session_expired"


# --- a session-wide credit ------------------------------------------------------------------------


def test_a_session_wide_credit_moves_every_open_attempt_and_collection_follows(logged_in, attempt, org, make_client,
                                                                               other_candidate):
    other = factories.AttemptFactory(registration=factories.RegistrationFactory(
        candidate=other_candidate, session=attempt.session))
    never = factories.AttemptFactory(registration=factories.RegistrationFactory(session=attempt.session))
    with at(START - timedelta(minutes=1)):
        make_client().login_as(other)
    end = attempt.deadline
    with at(end - timedelta(minutes=5)):
        no_reason = post(org, f"sessions/{attempt.session_id}/extra-time/", {"minutes": 10})
        response = post(org, f"sessions/{attempt.session_id}/extra-time/",
                        {"minutes": 10, "reason": "平台故障 10 分钟，全场补时"})
    assert no_reason.status_code == 400
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    new_end = end + timedelta(minutes=10)
    assert {a["id"]: (a["state"], a["deadline"]) for a in body["attempts"]} == {
        attempt.id: ("checked_in", new_end.isoformat()), other.id: ("checked_in", new_end.isoformat())}
    assert fresh(never).deadline == end
    assert AttemptAudit.objects.filter(action="session_extra_time", reason="平台故障 10 分钟，全场补时").count() == 2
    with at(new_end - SECOND):
        assert collection.sweep(now=new_end - SECOND).collected == {}
        assert logged_in.save((qids(attempt)[0], "B", 1)).status_code == 200
    with at(new_end):
        assert collection.sweep(now=new_end).collected == {attempt.session_id: 2}


def test_a_credit_for_some_attempts_refuses_ones_that_are_not_open(logged_in, attempt, org):
    never = factories.AttemptFactory(registration=factories.RegistrationFactory(session=attempt.session))
    with at(START):
        refused = post(org, f"sessions/{attempt.session_id}/extra-time/",
                       {"minutes": 5, "reason": "x", "attempts": [attempt.id, never.id]})
        ok = post(org, f"sessions/{attempt.session_id}/extra-time/",
                  {"minutes": 5, "reason": "本考点断网", "attempts": [attempt.id]})
    assert refused.status_code == 400 and str(never.id) in refused.json()["errors"]["attempts"]
    assert ok.json()["count"] == 1
    assert fresh(attempt).deadline == attempt.deadline + timedelta(minutes=5)
