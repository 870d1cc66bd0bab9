"""Answering: loss-proof autosave, submit, screen leaves.

Autosave is the hottest path on exam day: one locked read of the attempt, one upsert of
every entry ("highest seq wins" in SQL), one update of the acked seq. Questions come from
the paper cache. No templates, no password hashing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils.translation import gettext as _

from exams import answer_rules, live, rules, signals, statuses
from exams import exceptions as exc
from exams.audit import AuditAction
from exams.models import Answer, Attempt, LateAnswer
from exams.paper_cache import paper_questions
from exams.services.attempts import attempt_audit, attempt_for_writer, attempt_lock, attempt_transition
from exams.services.journey import attempt_record_lock, local_time_text
from exams.services.steps import steps_check_before_answering

MAX_ENTRIES = 500
MAX_SEQ = 2**62


def _grace() -> timedelta:
    return timedelta(seconds=settings.ANSWER_GRACE_SECONDS)


def _check_writable(attempt: Attempt) -> None:
    """Finished and locked attempts refuse writes (the page's own check: ``attempt_for_writer``)."""
    if attempt.state == statuses.COLLECTED:
        raise exc.Collected()
    if attempt.state == statuses.SUBMITTED:
        raise exc.Submitted()
    if attempt.state not in statuses.OPEN:
        raise exc.NotStarted()
    if attempt.locked:
        raise exc.Locked()


def validate_entries(entries: object, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check the shape and values of a batch; the whole batch is refused on any error."""
    if not isinstance(entries, list) or not entries:
        raise exc.InvalidAnswer(_("请求中没有答案条目。"))
    if len(entries) > MAX_ENTRIES:
        raise exc.InvalidAnswer(_("一次最多提交 %(max)d 条答案。") % {"max": MAX_ENTRIES})
    by_id = {q["id"]: q for q in questions}
    clean: list[dict[str, Any]] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise exc.InvalidAnswer(_("第 %(i)d 条答案格式不正确。") % {"i": index + 1})
        qid, seq = entry.get("question"), entry.get("seq")
        if isinstance(qid, bool) or not isinstance(qid, int) or qid not in by_id:
            raise exc.InvalidAnswer(_("第 %(i)d 条答案对应的试题不存在。") % {"i": index + 1})
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq < MAX_SEQ:
            raise exc.InvalidAnswer(_("第 %(i)d 条答案的序号无效。") % {"i": index + 1})
        if "value" not in entry:
            raise exc.InvalidAnswer(_("第 %(i)d 条答案缺少作答内容。") % {"i": index + 1})
        q = by_id[qid]
        error = answer_rules.answer_error(kind=q["kind"], choices=q["choices"], value=entry["value"])
        if error:
            raise exc.InvalidAnswer(
                _("第 %(i)d 题：%(error)s") % {"i": q["position"] or index + 1, "error": error}
            )
        clean.append({"question": qid, "value": entry["value"], "seq": seq})
    return clean


def latest_per_question(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    best: dict[int, dict[str, Any]] = {}
    for entry in entries:
        current = best.get(entry["question"])
        if current is None or entry["seq"] > current["seq"]:
            best[entry["question"]] = entry
    return list(best.values())


def upsert_answers(*, attempt_id: int, entries: list[dict[str, Any]], now: datetime) -> None:
    """INSERT .. ON CONFLICT DO UPDATE .. WHERE stored seq < new seq: one statement."""
    table = Answer._meta.db_table
    rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(entries))
    params: list[Any] = []
    saved_at = connection.ops.adapt_datetimefield_value(now)  # as the ORM stores it (SQLite: naive UTC text)
    for e in entries:
        params += [attempt_id, e["question"], json.dumps(e["value"], ensure_ascii=False), e["seq"], saved_at]
    sql = (
        f"INSERT INTO {table} (attempt_id, question_id, value, seq, saved_at) VALUES {rows} "  # noqa: S608
        f"ON CONFLICT (attempt_id, question_id) DO UPDATE SET value = excluded.value, "
        f"seq = excluded.seq, saved_at = excluded.saved_at WHERE {table}.seq < excluded.seq"
    )
    if connection.vendor == "postgresql":
        sql = sql.replace("(%s, %s, %s, %s, %s)", "(%s, %s, %s::jsonb, %s, %s)")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def answers_save(
    *,
    attempt_id: int,
    client_id: str,
    entries: object,
    now: datetime,
    current_question: int | None = None,
) -> int:
    """Apply a batch of journal entries; returns the highest seq the server holds.

    Until the deadline plus ``ANSWER_GRACE_SECONDS`` a batch is applied even when the deadline
    collected the attempt at that instant (answers already on their way): the collected attempt
    is then re-scored and gets a new receipt in the same transaction, with an audit row. A
    candidate's own submit still ends their writes. After the grace the entries are kept as
    ``LateAnswer`` rows (evidence for the organizers, who may accept them) and the page is told
    ``collected``.
    """
    refusal: exc.DomainError | None = None
    with transaction.atomic():
        attempt = attempt_for_writer(attempt_id=attempt_id, client_id=client_id)
        session = attempt.session
        if attempt.state == statuses.CHECKED_IN and not rules.has_started(session.rules(), now):
            raise exc.NotStarted(_("考试尚未开始，开考后才能作答。"))
        if attempt.state not in statuses.OPEN + statuses.FINISHED:
            raise exc.NotStarted()
        if attempt.state in statuses.FINISHED and attempt.client_id and attempt.client_id != client_id:
            raise exc.Superseded()  # only the page that held the attempt at its end
        questions = paper_questions(session.paper_id)
        clean = validate_entries(entries, questions)
        if not rules.accepts_answers(attempt.deadline, now, grace=_grace()):
            LateAnswer.objects.bulk_create(
                LateAnswer(attempt_id=attempt.id, question_id_sent=e["question"], value=e["value"],
                           seq=e["seq"], received_at=now, source=LateAnswer.NETWORK)
                for e in clean
            )
            refusal = exc.Collected(
                _("考试时间已到。这 %(n)d 条答案在收卷后才到达服务器，没有计入成绩，"
                  "已作为记录保存，交由考务人员处理。") % {"n": len(clean)},
                extra={"kept": len(clean)},
            )
        else:
            if attempt.state == statuses.SUBMITTED:
                raise exc.Submitted()  # the candidate's own submit: nothing after it counts
            if attempt.locked and attempt.state in statuses.OPEN:
                raise exc.Locked()
            if attempt.state == statuses.CHECKED_IN:  # the first answer starts the attempt
                steps_check_before_answering(attempt)
                _attempt_begin(attempt=attempt, now=now)
            upsert_answers(attempt_id=attempt.id, entries=latest_per_question(clean), now=now)
            acked = max(attempt.last_seq, max(int(e["seq"]) for e in clean))
            fields: dict[str, Any] = {"last_seq": acked}
            if isinstance(current_question, int) and not isinstance(current_question, bool):
                fields["current_question"] = current_question
            Attempt.objects.filter(pk=attempt.id).update(**fields)
            live.monitor_changed(attempt.session_id)  # the wall's "last save" (coalesced there)
            if attempt.state == statuses.COLLECTED:
                attempt_rescore(attempt=attempt, now=now, action=AuditAction.GRACE_ANSWERS,
                                details={"entries": len(clean), "acked_seq": acked},
                                question_ids=sorted({int(e["question"]) for e in clean}))
    if refusal is not None:
        raise refusal
    return acked


def attempt_rescore(*, attempt: Attempt, now: datetime, action: AuditAction, actor: User | None = None,
                    reason: str = "", details: dict[str, Any] | None = None,
                    question_ids: list[int] | None = None) -> str:
    """A finished attempt's answers changed (grace, accepted late answers): new score and
    receipt on the locked row, and an audit row keeping the old receipt. ``attempt_rescored``
    names the changed questions (a mark given to the old text no longer stands)."""
    held = stored_answers(attempt.id)
    score, needs_marking = answer_rules.score(
        paper_questions(attempt.session.paper_id), {q: v for q, (v, _s) in held.items()}
    )
    old_receipt = attempt.receipt
    attempt.receipt = answer_rules.receipt(attempt.id, held)
    attempt.score, attempt.needs_marking = score, needs_marking
    Attempt.objects.filter(pk=attempt.id).update(
        receipt=attempt.receipt, score=score, needs_marking=needs_marking, updated_at=now
    )
    attempt_audit(
        attempt=attempt, action=action, now=now, actor=actor, reason=reason,
        details={**(details or {}), "old_receipt": old_receipt, "receipt": attempt.receipt},
    )
    signals.attempt_rescored.send(
        sender=Attempt, attempt=attempt, now=now, question_ids=list(question_ids or [])
    )
    if old_receipt != attempt.receipt:
        live.push_to_attempt(attempt.id, {"type": "receipt", "receipt": attempt.receipt})
    return attempt.receipt


def attempt_start(*, attempt_id: int, client_id: str, now: datetime) -> Attempt:
    """The candidate pressed 开始答题 (from starts_at on)."""
    with transaction.atomic():
        attempt = attempt_for_writer(attempt_id=attempt_id, client_id=client_id)
        if attempt.state == statuses.IN_PROGRESS:
            return attempt
        _check_writable(attempt)
        if not rules.has_started(attempt.session.rules(), now):
            raise exc.NotStarted()
        if not rules.accepts_answers(attempt.deadline, now, grace=_grace()):
            raise exc.Collected()
        steps_check_before_answering(attempt)
        _attempt_begin(attempt=attempt, now=now)
        return attempt


def _attempt_begin(*, attempt: Attempt, now: datetime) -> None:
    """The one way into ``in_progress`` (开始答题, or a first answer): audited, the monitor told."""
    attempt_transition(
        attempt=attempt, to_state=statuses.IN_PROGRESS, now=now, action=AuditAction.START,
        fields={"started_at": now},
    )
    live.monitor_changed(attempt.session_id)


def stored_answers(attempt_id: int) -> dict[int, tuple[Any, int]]:
    return {
        qid: (value, seq)
        for qid, value, seq in Answer.objects.filter(attempt_id=attempt_id).values_list(
            "question_id", "value", "seq"
        )
    }


def attempt_submit(*, attempt_id: int, client_id: str, now: datetime) -> Attempt:
    """Submit: a single conditional transition; a save racing it loses cleanly."""
    with transaction.atomic():
        attempt = attempt_for_writer(attempt_id=attempt_id, client_id=client_id)
        if attempt.state == statuses.SUBMITTED:
            return attempt  # a retried submit that already went through
        _check_writable(attempt)
        s = attempt.session.rules()
        if not rules.can_submit(s, now):
            opens = rules.submit_opens_at(s)
            raise exc.SubmitTooEarly(
                _("开考后 %(minutes)d 分钟才可以交卷，请于 %(when)s 后再交卷。")
                % {"minutes": int((opens - s.starts_at).total_seconds() // 60),
                   "when": local_time_text(attempt.session, opens)},
                extra={"submit_opens_at": opens.isoformat()},
            )
        if not rules.accepts_answers(attempt.deadline, now, grace=_grace()):
            raise exc.Collected()
        held = stored_answers(attempt.id)
        score, needs_marking = answer_rules.score(
            paper_questions(attempt.session.paper_id), {q: v for q, (v, _s) in held.items()}
        )
        attempt_transition(
            attempt=attempt, to_state=statuses.SUBMITTED, now=now, action=AuditAction.SUBMIT,
            fields={
                "finished_at": now,
                "receipt": answer_rules.receipt(attempt.id, held),
                "score": score,
                "needs_marking": needs_marking,
            },
        )
        signals.attempt_submitted.send(sender=Attempt, attempt=attempt, now=now)
        live.monitor_changed(attempt.session_id)
        return attempt


def attempt_add_leaves(*, attempt: Attempt, count: int, now: datetime) -> bool:
    """Count screen leaves on a locked attempt row; returns True when this locks it."""
    s = attempt.session.rules()
    if count <= 0 or not s.lock_screen or attempt.state not in statuses.OPEN or attempt.locked:
        return False
    attempt.leaves_used += count
    attempt.locked = rules.leaves_exhausted(s, attempt.leaves_used, extra_leaves=attempt.extra_leaves)
    attempt.save(update_fields=["leaves_used", "locked", "updated_at"])
    if attempt.locked:
        attempt_record_lock(attempt=attempt, now=now, reason="screen_leaves")
    return attempt.locked


def attempt_unlock(*, attempt_id: int, actor: User | None, reason: str, now: datetime, source: str = "") -> Attempt:
    """An organizer (or support, where allowed) lifts the leave-limit lock, with a reason."""
    if not (reason or "").strip():
        raise exc.InvalidInput({"reason": _("解锁必须填写原因。")})
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        if not attempt.locked:
            return attempt
        attempt.locked = False
        # Room for the re-login that follows and one more leave; the count itself stays.
        limit = rules.leaves_max(attempt.session.rules()) or 0
        attempt.extra_leaves = max(0, attempt.leaves_used - limit) + settings.UNLOCK_EXTRA_LEAVES
        attempt.save(update_fields=["locked", "extra_leaves", "updated_at"])
        attempt_audit(
            attempt=attempt, action=AuditAction.UNLOCK, now=now, actor=actor, reason=reason.strip(),
            details={"source": source, "leaves_used": attempt.leaves_used},
        )
        signals.attempt_unlocked.send(sender=Attempt, attempt=attempt, now=now, reason=reason.strip())
        live.push_to_attempt(attempt.id, {"type": "unlocked"})
        live.monitor_changed(attempt.session_id)
        return attempt
