"""The organizer console: sessions, batches, papers and the read-only attempts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from candidates import idnumbers
from exams import rules, statuses
from exams.models import Answer, Attempt, ExamBatch, ExamSession, Paper
from support.models import StaffedPeriod
from tests import factories

# The admin is used before the exam: the sessions below are in the organizer's future.
NOW = datetime(2023, 7, 20, 2, 0, tzinfo=UTC)  # 20 Jul 10:00 Beijing time


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def batch(db):
    return factories.BatchFactory()


def session_form(batch, **overrides) -> dict[str, str]:
    """What the add form posts when the organizer fills only the basics (rule fields as shown)."""
    data = {
        "batch": str(batch.pk),
        "kind": "formal",
        "name": "正式考试 理论知识",
        "subject": "理论知识",
        "paper": "",
        "starts_at_0": "2023-07-30",
        "starts_at_1": "09:00:00",
        "ends_at_0": "2023-07-30",
        "ends_at_1": "11:00:00",
        "password": "",
        "password_published_at_0": "",
        "password_published_at_1": "",
        "login_opens_before": "00:30:00",
        "late_after": "00:30:00",
        "min_answer_time": "01:00:00",
        "exam_day_gate": "08:00:00",
        "max_screen_leaves": "5",
        "lock_screen": "on",
        "snapshot_interval_seconds": "30",
        "recording": "video",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def add_session(client, batch, **overrides):
    return client.post(reverse("admin:exams_examsession_add"), session_form(batch, **overrides))


# --- sessions ---------------------------------------------------------------------------


def test_a_device_check_added_with_the_shown_rules_gets_the_device_check_defaults(admin_client, batch):
    response = add_session(
        admin_client, batch, kind="device_check", name="设备调试",
        starts_at_0="2023-07-25", ends_at_0="2023-07-26", ends_at_1="18:00:00",
    )

    assert response.status_code == 302
    session = ExamSession.objects.get()
    assert session.kind == "device_check"
    for name, value in rules.KIND_DEFAULTS["device_check"].items():
        assert getattr(session, name) == value, name
    assert session.late_after is None and session.min_answer_time is None
    assert session.lock_screen is False


def test_a_rule_the_organizer_changed_on_add_is_kept(admin_client, batch):
    add_session(admin_client, batch, kind="mock", name="集中模拟测试", late_after="00:15:00")

    session = ExamSession.objects.get()
    assert session.late_after == timedelta(minutes=15)
    assert session.exam_day_gate is None  # mock default: no exam-day gate


def test_a_blank_password_on_add_is_generated(admin_client, batch):
    add_session(admin_client, batch)

    session = ExamSession.objects.get()
    assert len(session.password) == 6 and session.password.isdigit()
    assert session.password_published_at == session.starts_at - rules.PASSWORD_PUBLISH_BEFORE


@pytest.mark.parametrize("password", ["12345", "1234567", "12a456"])
def test_it_refuses_a_password_that_is_not_six_digits_naming_the_field(admin_client, batch, password):
    response = add_session(admin_client, batch, password=password)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "password" in errors
    assert ExamSession.objects.count() == 0


def test_it_refuses_a_password_of_another_open_session_naming_the_field(admin_client, batch):
    factories.SessionFactory(password="283381", starts_at=NOW, ends_at=NOW + timedelta(days=2))

    response = add_session(admin_client, batch, password="283381")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password"] == [
        "口令 283381 已被另一个未结束的场次使用，请更换。"
    ]
    assert ExamSession.objects.filter(batch=batch).count() == 0


def test_it_allows_the_password_of_a_session_that_has_ended(admin_client, batch):
    factories.SessionFactory(
        password="283381", starts_at=NOW - timedelta(days=3), ends_at=NOW - timedelta(days=2)
    )

    response = add_session(admin_client, batch, password="283381")

    assert response.status_code == 302
    assert ExamSession.objects.get(batch=batch).password == "283381"


def test_it_refuses_a_window_that_ends_before_it_starts_naming_the_field(admin_client, batch):
    response = add_session(admin_client, batch, ends_at_0="2023-07-30", ends_at_1="08:00:00")

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["ends_at"] == ["结束时间必须晚于开考时间。"]
    assert not form.non_field_errors()
    assert ExamSession.objects.count() == 0


def test_changing_a_session_end_moves_its_attempts_deadlines(admin_client, attempt):
    session = attempt.session
    data = session_form(session.batch, password=session.password, ends_at_1="11:30:00")

    response = admin_client.post(reverse("admin:exams_examsession_change", args=[session.pk]), data)

    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.deadline == datetime(2023, 7, 30, 3, 30, tzinfo=UTC)


def test_the_regenerate_action_changes_the_password_and_lists_it(admin_client, formal_session):
    old = formal_session.password

    response = admin_client.post(
        reverse("admin:exams_examsession_changelist"),
        {"action": "regenerate_passwords", "_selected_action": [formal_session.pk]},
        follow=True,
    )

    formal_session.refresh_from_db()
    assert formal_session.password != old and len(formal_session.password) == 6
    texts = [str(m) for m in get_messages(response.wsgi_request)] + [
        str(m) for m in response.context["messages"]
    ]
    assert any(f"{formal_session.name}：{formal_session.password}" in text for text in texts)


def test_the_session_list_counts_registrations_and_finished_attempts(admin_client, formal_session):
    factories.AttemptFactory(registration__session=formal_session)
    factories.AttemptFactory(registration__session=formal_session, state=statuses.SUBMITTED)

    response = admin_client.get(reverse("admin:exams_examsession_changelist"))

    session = response.context["cl"].result_list.get(pk=formal_session.pk)
    assert (session.n_registered, session.n_started, session.n_finished) == (2, 1, 1)


# --- batches ----------------------------------------------------------------------------


def batch_form(**sessions_and_periods) -> dict[str, str]:
    data = {
        "name": "2023年7月30日批次", "slug": "2023-07-30", "time_zone": "Asia/Shanghai",
        "notice": "", "evidence_retention_until": "",
    }
    for prefix in ("sessions", "staffed_periods"):
        rows = sessions_and_periods.get(prefix, [])
        data.update({
            f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000",
        })
        for i, row in enumerate(rows):
            data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


DEVICE_CHECK_ROW = {
    "kind": "device_check", "name": "设备调试", "password": "",
    "starts_at_0": "2023-07-25", "starts_at_1": "09:00:00",
    "ends_at_0": "2023-07-26", "ends_at_1": "18:00:00", "paper": "",
}


def test_a_batch_is_added_with_inline_sessions_and_staffed_hours(admin_client, db):
    response = admin_client.post(reverse("admin:exams_exambatch_add"), batch_form(
        sessions=[DEVICE_CHECK_ROW, {**DEVICE_CHECK_ROW, "kind": "mock", "name": "集中模拟测试",
                                     "password": "283385", "starts_at_0": "2023-07-29",
                                     "starts_at_1": "15:00:00", "ends_at_0": "2023-07-29",
                                     "ends_at_1": "16:00:00", "min_answer_time": "00:30:00"}],
        staffed_periods=[{"starts_at_0": "2023-07-25", "starts_at_1": "09:00:00",
                          "ends_at_0": "2023-07-25", "ends_at_1": "18:00:00"}],
    ))

    assert response.status_code == 302
    batch = ExamBatch.objects.get()
    device_check = batch.sessions.get(kind="device_check")
    assert device_check.lock_screen is False and device_check.late_after is None
    assert len(device_check.password) == 6
    assert batch.sessions.get(kind="mock").password == "283385"
    assert StaffedPeriod.objects.get(batch=batch).ends_at == datetime(2023, 7, 25, 10, 0, tzinfo=UTC)


def test_it_refuses_two_inline_sessions_with_one_password(admin_client, db):
    response = admin_client.post(reverse("admin:exams_exambatch_add"), batch_form(
        sessions=[{**DEVICE_CHECK_ROW, "password": "111111"},
                  {**DEVICE_CHECK_ROW, "name": "设备调试 2", "password": "111111"}],
    ))

    assert response.status_code == 200
    assert "与本批次另一个未结束场次的口令重复" in response.content.decode()
    assert ExamBatch.objects.count() == 0


def test_it_refuses_staffed_hours_that_end_before_they_start(admin_client, db):
    response = admin_client.post(reverse("admin:exams_exambatch_add"), batch_form(
        staffed_periods=[{"starts_at_0": "2023-07-25", "starts_at_1": "18:00:00",
                          "ends_at_0": "2023-07-25", "ends_at_1": "09:00:00"}],
    ))

    assert response.status_code == 200
    assert "结束时间必须晚于开始时间" in response.content.decode()
    assert ExamBatch.objects.count() == 0


# --- papers -----------------------------------------------------------------------------


def paper_form(batch, questions: list[dict[str, str]]) -> dict[str, str]:
    data = {
        "batch": str(batch.pk), "name": "理论知识试卷", "subject": "理论知识", "pass_mark": "60",
        "marking": "double", "marking_tolerance": "1.5",
        "questions-TOTAL_FORMS": str(len(questions)), "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0", "questions-MAX_NUM_FORMS": "1000",
    }
    for i, q in enumerate(questions):
        data.update({f"questions-{i}-{k}": v for k, v in q.items()})
    return data


SINGLE = {
    "position": "1", "kind": "single_choice", "points": "2", "text": "安全帽的作用是？",
    "choices": '[{"key": "A", "text": "防护"}, {"key": "B", "text": "装饰"}]', "correct": '"A"',
}
ESSAY = {
    "position": "2", "kind": "essay", "points": "10", "text": "简述安全生产。", "choices": "", "correct": "",
}


def test_a_paper_is_added_with_its_questions(admin_client, batch):
    response = admin_client.post(reverse("admin:exams_paper_add"), paper_form(batch, [SINGLE, ESSAY]))

    assert response.status_code == 302
    paper = Paper.objects.get()
    assert (paper.pass_mark, paper.marking, paper.marking_tolerance) == (Decimal("60"), "double", Decimal("1.5"))
    assert [(q.kind, q.correct, q.choices) for q in paper.questions.order_by("position")] == [
        ("single_choice", "A", [{"key": "A", "text": "防护"}, {"key": "B", "text": "装饰"}]),
        ("essay", None, []),
    ]


def test_it_refuses_a_paper_whose_objective_question_has_no_correct_answer(admin_client, batch):
    response = admin_client.post(
        reverse("admin:exams_paper_add"), paper_form(batch, [{**SINGLE, "correct": ""}, ESSAY])
    )

    assert response.status_code == 200
    question_errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert question_errors["correct"] == ["客观题必须设置标准答案。"]
    assert Paper.objects.count() == 0


def test_it_refuses_a_paper_without_questions(admin_client, batch):
    response = admin_client.post(reverse("admin:exams_paper_add"), paper_form(batch, []))

    assert response.status_code == 200
    assert "试卷至少需要一道试题" in response.content.decode()
    assert Paper.objects.count() == 0


def test_it_refuses_to_change_questions_someone_answered_and_keeps_them(admin_client, attempt):
    paper = attempt.session.paper
    question = paper.questions.order_by("position").first()
    Answer.objects.create(attempt=attempt, question=question, value="B", seq=1, saved_at=NOW)
    data = paper_form(paper.batch, [{**SINGLE, "id": str(question.pk), "paper": str(paper.pk)}])
    data.update({"questions-INITIAL_FORMS": "1", "name": paper.name})

    response = admin_client.post(reverse("admin:exams_paper_change", args=[paper.pk]), data, follow=True)

    assert "该试卷已有考生作答" in response.content.decode()
    question.refresh_from_db()
    assert question.text != SINGLE["text"]
    assert paper.questions.count() == 5


# --- attempts ---------------------------------------------------------------------------


def test_attempts_cannot_be_added_changed_or_deleted_even_by_a_superuser(admin_client, attempt):
    assert admin_client.get(reverse("admin:exams_attempt_add")).status_code == 403
    assert admin_client.get(reverse("admin:exams_attempt_delete", args=[attempt.pk])).status_code == 403
    change_url = reverse("admin:exams_attempt_change", args=[attempt.pk])
    response = admin_client.post(change_url, {"state": "submitted"})
    assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.state == statuses.REGISTERED


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("registered", {"registered"}),
        # Locked and voided are flags on top of the state: they show in both buckets.
        ("in_progress", {"checked_in", "in_progress", "locked"}),
        ("submitted", {"submitted", "voided"}),
        ("collected", {"collected"}),
        ("late_absent", {"late", "absent"}),
        ("locked", {"locked"}),
        ("voided", {"voided"}),
    ],
)
def test_the_status_filter_shows_each_bucket(admin_client, formal_session, status, expected):
    for state in statuses.ALL:
        factories.AttemptFactory(registration__session=formal_session, state=state,
                                 registration__candidate__name=state)
    factories.AttemptFactory(registration__session=formal_session, state=statuses.IN_PROGRESS,
                             locked=True, registration__candidate__name="locked")
    factories.AttemptFactory(registration__session=formal_session, state=statuses.SUBMITTED,
                             decision=statuses.DECISION_VOIDED, registration__candidate__name="voided")

    response = admin_client.get(reverse("admin:exams_attempt_changelist"), {"status": status})

    names = {a.registration.candidate.name for a in response.context["cl"].result_list}
    assert names == expected


def test_attempts_are_found_by_id_number_and_admission_ticket(admin_client, attempt, other_candidate):
    factories.AttemptFactory(registration__candidate=other_candidate, registration__session=attempt.session)
    url = reverse("admin:exams_attempt_changelist")

    by_id = admin_client.get(url, {"q": attempt.registration.candidate.id_number})
    by_ticket = admin_client.get(url, {"q": attempt.registration.admission_ticket})

    assert list(by_id.context["cl"].result_list) == [attempt]
    assert list(by_ticket.context["cl"].result_list) == [attempt]


def test_organizers_see_answers_on_an_attempt_and_proctors_do_not(client, attempt, organizer, proctor):
    question = attempt.session.paper.questions.order_by("position").first()
    Answer.objects.create(attempt=attempt, question=question, value="C", seq=7, saved_at=NOW)
    url = reverse("admin:exams_attempt_change", args=[attempt.pk])

    client.force_login(organizer)
    organizer_page = client.get(url)
    client.force_login(proctor)
    proctor_page = client.get(url)

    def inline_models(response):
        return {f.formset.model.__name__ for f in response.context["inline_admin_formsets"]}

    assert organizer_page.status_code == proctor_page.status_code == 200
    assert "Answer" in inline_models(organizer_page)
    assert "Answer" not in inline_models(proctor_page)
    assert "AttemptAudit" in inline_models(proctor_page)


def test_an_attempt_page_shows_its_audit_trail(admin_client, attempt):
    from exams.services.attempts import attempt_audit

    attempt_audit(attempt=attempt, action="unlock", now=NOW, reason="网络故障，考务确认")

    response = admin_client.get(reverse("admin:exams_attempt_change", args=[attempt.pk]))

    assert "网络故障，考务确认" in response.content.decode()


def test_the_support_group_sees_attempts_but_cannot_open_papers(client, attempt, support_agent):
    client.force_login(support_agent)

    assert client.get(reverse("admin:exams_attempt_changelist")).status_code == 200
    assert client.get(reverse("admin:exams_paper_changelist")).status_code == 403
    assert Attempt.objects.count() == 1


@pytest.mark.parametrize(
    "url_name",
    [
        "exams_exambatch", "exams_examsession", "exams_paper", "exams_attempt", "exams_attemptaudit",
        "candidates_candidate", "candidates_registration", "support_staffedperiod",
    ],
)
def test_every_console_list_and_page_opens_for_an_organizer(client, organizer, attempt, url_name):
    from exams.services.attempts import attempt_audit

    attempt_audit(attempt=attempt, action="registered", now=NOW, to_state=attempt.state)
    StaffedPeriod.objects.create(batch=attempt.session.batch, starts_at=NOW, ends_at=NOW + timedelta(hours=8))
    client.force_login(organizer)
    changelist = client.get(reverse(f"admin:{url_name}_changelist"))
    assert changelist.status_code == 200
    obj = changelist.context["cl"].result_list[0]

    assert client.get(reverse(f"admin:{url_name}_change", args=[obj.pk])).status_code == 200
    can_add = url_name not in ("exams_attempt", "exams_attemptaudit")
    assert client.get(reverse(f"admin:{url_name}_add")).status_code == (200 if can_add else 403)


# --- candidates and registrations (forms; imports are in tests/candidates) ----------------


def test_a_candidate_added_with_a_lowercase_x_is_stored_uppercase(admin_client, db):
    with_x = next(factories.resident_id(n) for n in range(1000) if factories.resident_id(n).endswith("X"))

    response = admin_client.post(reverse("admin:candidates_candidate_add"), {
        "name": "王五", "document_type": "resident_id", "id_number": with_x.lower(), "phone": "",
    })

    assert response.status_code == 302
    from candidates.models import Candidate

    assert Candidate.objects.get().id_number == with_x


def test_it_refuses_a_candidate_with_a_bad_checksum_naming_the_field(admin_client, db):
    good = factories.resident_id(5)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")

    response = admin_client.post(reverse("admin:candidates_candidate_add"), {
        "name": "王五", "document_type": "resident_id", "id_number": bad, "phone": "",
    })

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["id_number"] == [
        "居民身份证号校验位不正确，请核对后重新输入。"
    ]


def test_a_registration_added_in_the_admin_opens_its_attempt(admin_client, formal_session, candidate):
    response = admin_client.post(reverse("admin:candidates_registration_add"), {
        "candidate": str(candidate.pk), "session": str(formal_session.pk),
        "admission_ticket": "2023000001", "subject": "",
    })

    assert response.status_code == 302
    attempt = Attempt.objects.get(registration__candidate=candidate)
    assert (attempt.session, attempt.state, attempt.deadline) == (
        formal_session, statuses.REGISTERED, formal_session.ends_at,
    )
    assert attempt.registration.subject == formal_session.subject


def test_it_refuses_a_registration_for_a_missing_session_naming_the_field(admin_client, candidate):
    response = admin_client.post(reverse("admin:candidates_registration_add"), {
        "candidate": str(candidate.pk), "session": "999999", "admission_ticket": "", "subject": "",
    })

    assert response.status_code == 200
    assert "session" in response.context["adminform"].form.errors
    assert Attempt.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("organizer", ["实时监控", "监控审核", "技术支持队列"], []),
        ("proctor", ["实时监控", "监控审核"], ["技术支持队列"]),
        ("support", ["技术支持队列"], ["监控审核", "实时监控"]),
    ],
)
def test_the_admin_home_links_each_role_to_its_exam_day_tools(client, db, role, shown, hidden):
    client.force_login(factories.staff_user(f"{role}-1", role))
    html = client.get(reverse("admin:index")).content.decode()
    tools = html.split('id="exam-day-tools"', 1)[1].split("</table>", 1)[0]
    assert [name for name in shown if name in tools] == shown
    assert [name for name in hidden if name in tools] == []


def test_the_attempt_list_is_one_compact_line_per_attempt_with_translated_headers_and_local_times(
    admin_client, attempt, django_assert_max_num_queries
):
    Attempt.objects.filter(pk=attempt.pk).update(
        state=statuses.SUBMITTED, leaves_used=2, finished_at=datetime(2023, 7, 30, 2, 5, 9, tzinfo=UTC)
    )
    for _ in range(5):
        factories.AttemptFactory(registration__session=attempt.session)

    with django_assert_max_num_queries(12):  # flat: no query per row
        html = admin_client.get(reverse("admin:exams_attempt_changelist")).content.decode()

    headers = re.findall(r'<th scope="col" class="[^"]*column-\w+[^"]*">\s*(?:<div class="sortoptions">.*?</div>)?'
                         r'\s*<div class="text">(?:<a [^>]*>|<span>)([^<]+)<', html, re.S)
    assert [h.strip() for h in headers][:9] == [
        "考生", "证件号", "准考证号", "场次", "状态", "离屏", "客观题得分", "审核结论", "交卷/收卷时间",
    ]
    assert "Registration" not in html and "REGISTRATION" not in html
    candidate = attempt.registration.candidate
    assert idnumbers.mask(candidate.id_number) in html and candidate.id_number not in html
    assert "07-30 10:05:09 (北京时间)" in html  # 02:05 UTC shown in the batch's zone, named
    assert f"2/{attempt.session.max_screen_leaves}" in html
