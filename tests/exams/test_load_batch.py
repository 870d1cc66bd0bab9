"""load_batch: a whole batch from one file, refused whole with every error listed."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from candidates.models import Candidate, Registration
from exams.exceptions import InvalidInput
from exams.models import Answer, Attempt, ExamBatch, ExamSession, Paper, Question
from exams.services.batches import batch_load, batch_validate
from support.models import StaffedPeriod
from tests import factories

NOW = datetime(2023, 7, 20, 2, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "batch-format.md"

ZHANG = factories.resident_id(1)
LI = factories.resident_id(2)
WANG = factories.resident_id(3)


def good_file() -> dict:
    return {
        "batch": {
            "slug": "2023-07-30",
            "name": "2023年全省职业技能等级统一认定（7月30日批次）",
            "time_zone": "Asia/Shanghai",
            "support_hours": [
                {"starts_at": "2023-07-25T09:00:00+08:00", "ends_at": "2023-07-25T18:00:00+08:00"},
                {"starts_at": "2023-07-26T09:00:00+08:00", "ends_at": "2023-07-26T18:00:00+08:00"},
            ],
        },
        "papers": [
            {
                "key": "theory",
                "name": "理论知识试卷",
                "subject": "理论知识",
                "questions": [
                    {"kind": "single_choice", "text": "单选", "points": 2,
                     "choices": [{"key": "A", "text": "甲"}, {"key": "B", "text": "乙"}], "correct": "B"},
                    {"kind": "multiple_choice", "text": "多选", "points": 3,
                     "choices": [{"key": "A", "text": "甲"}, {"key": "B", "text": "乙"},
                                 {"key": "C", "text": "丙"}], "correct": ["A", "C"]},
                    {"kind": "true_false", "text": "判断", "correct": True},
                    {"kind": "fill_in", "text": "填空", "points": 2, "correct": ["119"]},
                    {"kind": "essay", "text": "简答", "points": 10},
                ],
            }
        ],
        "sessions": [
            {"key": "device-check", "kind": "device_check", "name": "设备调试", "password": "283381",
             "starts_at": "2023-07-25T09:00:00+08:00", "ends_at": "2023-07-26T18:00:00+08:00",
             "paper": "theory"},
            {"key": "mock", "kind": "mock", "name": "集中模拟测试", "password": "283385",
             "starts_at": "2023-07-29T15:00:00+08:00", "ends_at": "2023-07-29T16:00:00+08:00",
             "paper": "theory", "rules": {"min_answer_minutes": 30}},
            {"key": "formal-theory", "kind": "formal", "name": "正式考试（理论知识）", "subject": "理论知识",
             "password": None, "starts_at": "2023-07-30T09:00:00+08:00",
             "ends_at": "2023-07-30T11:00:00+08:00", "paper": "theory"},
            {"key": "formal-practical", "kind": "formal", "name": "正式考试（操作技能）",
             "subject": "操作技能",
             "starts_at": "2023-07-30T14:00:00+08:00", "ends_at": "2023-07-30T16:00:00+08:00",
             "paper": "theory",
             "rules": {"requires_scratch_paper": True, "max_screen_leaves": 3, "late_after_minutes": 15,
                       "exam_day_gate": "07:30"}},
        ],
        "candidates": [
            {"name": "张三", "id_number": ZHANG,
             "sessions": ["device-check", "mock",
                          {"session": "formal-theory", "admission_ticket": "20230730001"}]},
            {"name": "李四", "id_number": LI.lower(), "phone": "13800000000",
             "sessions": ["device-check", {"session": "formal-practical", "subject": "操作技能（电工）"}]},
        ],
    }


def assert_nothing_loaded() -> None:
    assert ExamBatch.objects.count() == 0
    assert Paper.objects.count() == 0
    assert Question.objects.count() == 0
    assert ExamSession.objects.count() == 0
    assert Candidate.objects.count() == 0
    assert Registration.objects.count() == 0
    assert StaffedPeriod.objects.count() == 0


def refused(data: dict) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        batch_load(data=data, now=NOW)
    return caught.value.by_path()


@pytest.mark.django_db
class TestAGoodFile:
    def test_it_loads_the_batch_papers_sessions_and_candidates(self):
        batch = batch_load(data=good_file(), now=NOW)

        assert batch.slug == "2023-07-30"
        assert [(p.starts_at, p.ends_at) for p in StaffedPeriod.objects.filter(batch=batch)] == [
            (datetime(2023, 7, 25, 1, tzinfo=UTC), datetime(2023, 7, 25, 10, tzinfo=UTC)),
            (datetime(2023, 7, 26, 1, tzinfo=UTC), datetime(2023, 7, 26, 10, tzinfo=UTC)),
        ]
        paper = Paper.objects.get(batch=batch, key="theory")
        assert [q.kind for q in paper.questions.all()] == [
            "single_choice", "multiple_choice", "true_false", "fill_in", "essay"
        ]
        assert paper.questions.get(kind="multiple_choice").correct == ["A", "C"]
        assert paper.questions.get(kind="true_false").points == 1

        sessions = {s.key: s for s in batch.sessions.all()}
        assert sessions["device-check"].password == "283381"
        assert sessions["device-check"].late_after is None
        assert sessions["device-check"].lock_screen is False
        assert sessions["mock"].password == "283385"
        assert sessions["mock"].starts_at == datetime(2023, 7, 29, 7, tzinfo=UTC)
        theory = sessions["formal-theory"]
        assert theory.late_after == timedelta(minutes=30)
        assert theory.exam_day_gate == time(8, 0)
        assert theory.password_published_at == theory.starts_at - timedelta(days=7)
        practical = sessions["formal-practical"]
        assert practical.requires_scratch_paper is True
        assert practical.max_screen_leaves == 3
        assert practical.late_after == timedelta(minutes=15)
        assert practical.exam_day_gate == time(7, 30)

        zhang = Candidate.objects.get(id_number=ZHANG)
        assert sorted(r.session.key for r in zhang.registrations.all()) == [
            "device-check", "formal-theory", "mock"
        ]
        assert zhang.registrations.get(session=theory).admission_ticket == "20230730001"
        li = Candidate.objects.get(id_number=LI.upper())
        assert li.phone == "13800000000"
        assert li.registrations.get(session=practical).subject == "操作技能（电工）"
        assert Attempt.objects.filter(session__batch=batch).count() == 5

    def test_it_generates_a_six_digit_password_when_the_file_gives_none(self):
        batch = batch_load(data=good_file(), now=NOW)

        generated = [batch.sessions.get(key="formal-theory").password,
                     batch.sessions.get(key="formal-practical").password]
        assert all(re.fullmatch(r"\d{6}", p) for p in generated)
        assert len(set(generated) | {"283381", "283385"}) == 4

    def test_the_documented_example_loads(self):
        text = DOCS.read_text(encoding="utf-8")
        example = re.search(r"## Complete example\s+```json\n(.*?)```", text, re.S).group(1)

        batch = batch_load(data=json.loads(example), now=NOW)

        assert batch.sessions.count() == 4
        assert Candidate.objects.filter(id_number="31010419881215011X").exists()

    def test_a_password_of_a_session_that_has_ended_can_be_used_again(self):
        factories.SessionFactory(password="283381", starts_at=NOW - timedelta(days=3),
                                 ends_at=NOW - timedelta(days=2))

        batch = batch_load(data=good_file(), now=NOW)

        assert batch.sessions.get(key="device-check").password == "283381"


@pytest.mark.django_db
class TestUpdatingABatch:
    def test_loading_again_renames_a_session_and_adds_a_candidate(self):
        batch = batch_load(data=good_file(), now=NOW)
        theory = batch.sessions.get(key="formal-theory")
        generated = theory.password
        data = good_file()
        data["batch"]["name"] = "7月30日批次（更新）"
        data["sessions"][2]["name"] = "正式考试（理论知识·第一场）"
        data["sessions"][2]["ends_at"] = "2023-07-30T11:30:00+08:00"
        data["candidates"].append({"name": "王五", "id_number": WANG, "sessions": ["formal-theory"]})

        again = batch_load(data=data, now=NOW)

        assert again.pk == batch.pk
        assert ExamBatch.objects.get().name == "7月30日批次（更新）"
        theory.refresh_from_db()
        assert theory.name == "正式考试（理论知识·第一场）"
        assert theory.password == generated
        assert theory.ends_at == datetime(2023, 7, 30, 3, 30, tzinfo=UTC)
        assert Attempt.objects.get(registration__candidate__id_number=ZHANG, session=theory).deadline == (
            theory.ends_at
        )
        assert ExamSession.objects.count() == 4
        assert Paper.objects.count() == 1
        assert Question.objects.count() == 5
        assert Candidate.objects.count() == 3
        assert theory.registrations.filter(candidate__id_number=WANG).exists()

    def test_rules_left_out_of_the_file_go_back_to_the_kind_defaults(self):
        batch_load(data=good_file(), now=NOW)
        data = good_file()
        del data["sessions"][3]["rules"]

        batch = batch_load(data=data, now=NOW)

        practical = batch.sessions.get(key="formal-practical")
        assert practical.max_screen_leaves == 5
        assert practical.requires_scratch_paper is False

    def test_changed_questions_replace_the_old_ones_while_nobody_has_answered(self):
        batch_load(data=good_file(), now=NOW)
        data = good_file()
        data["papers"][0]["questions"][0]["text"] = "新的单选题"

        batch_load(data=data, now=NOW)

        assert Question.objects.filter(paper__key="theory").order_by("position").first().text == "新的单选题"
        assert Question.objects.count() == 5

    def test_it_refuses_to_change_questions_that_candidates_have_answered(self):
        batch = batch_load(data=good_file(), now=NOW)
        attempt = Attempt.objects.filter(session__key="mock").first()
        question = Question.objects.filter(paper__batch=batch).first()
        Answer.objects.create(attempt=attempt, question=question, value="B", seq=1, saved_at=NOW)
        data = good_file()
        data["papers"][0]["questions"][0]["text"] = "改过的题"

        errors = refused(data)

        assert "papers[0].questions" in errors
        assert "已有考生作答" in errors["papers[0].questions"]
        question.refresh_from_db()
        assert question.text == "单选"
        assert Answer.objects.filter(question=question).count() == 1

    def test_it_refuses_to_change_questions_once_a_session_using_the_paper_opened_login(self):
        batch_load(data=good_file(), now=NOW)
        data = good_file()
        data["papers"][0]["questions"][0]["text"] = "改过的题"
        device_check_login_open = datetime(2023, 7, 25, 0, 45, tzinfo=UTC)  # 08:45, start 09:00

        with pytest.raises(InvalidInput) as caught:
            batch_load(data=data, now=device_check_login_open)

        assert "已开放登录" in caught.value.errors["papers[0].questions"]
        assert Question.objects.order_by("position").first().text == "单选"

    def test_reloading_the_same_questions_after_answers_exist_changes_nothing(self):
        batch_load(data=good_file(), now=NOW)
        attempt = Attempt.objects.filter(session__key="mock").first()
        question = Question.objects.first()
        Answer.objects.create(attempt=attempt, question=question, value="B", seq=1, saved_at=NOW)

        batch_load(data=good_file(), now=NOW)

        assert Answer.objects.get().question_id == question.pk

    def test_it_refuses_to_change_the_paper_of_a_session_with_answers(self):
        batch = batch_load(data=good_file(), now=NOW)
        attempt = Attempt.objects.filter(session__key="mock").first()
        Answer.objects.create(attempt=attempt, question=Question.objects.first(), value="B", seq=1,
                              saved_at=NOW)
        data = good_file()
        data["papers"].append(copy.deepcopy(data["papers"][0]) | {"key": "theory-2"})
        data["sessions"][1]["paper"] = "theory-2"

        errors = refused(data)

        assert list(errors) == ["sessions[1].paper"]
        assert batch.sessions.get(key="mock").paper.key == "theory"
        assert not Paper.objects.filter(key="theory-2").exists()


REFUSALS = [
    # (what is wrong, how to break the good file, path of the error, part of the reason)
    ("window ends before it starts",
     lambda d: d["sessions"][2].update(ends_at="2023-07-30T08:00:00+08:00"),
     "sessions[2].ends_at", "结束时间必须晚于"),
    ("window of zero length",
     lambda d: d["sessions"][2].update(ends_at=d["sessions"][2]["starts_at"]),
     "sessions[2].ends_at", "结束时间必须晚于"),
    ("password of five digits",
     lambda d: d["sessions"][0].update(password="28338"), "sessions[0].password", "6 位数字"),
    ("password with letters",
     lambda d: d["sessions"][0].update(password="28338a"), "sessions[0].password", "6 位数字"),
    ("password as a number",
     lambda d: d["sessions"][0].update(password=283381), "sessions[0].password", "6 位数字"),
    ("two sessions with one password",
     lambda d: d["sessions"][3].update(password="283381"), "sessions[3].password", "sessions[0]"),
    ("invalid resident ID checksum",
     lambda d: d["candidates"][0].update(id_number=ZHANG[:17] + ("1" if ZHANG[17] != "1" else "2")),
     "candidates[0].id_number", "校验位"),
    ("resident ID of the wrong length",
     lambda d: d["candidates"][0].update(id_number="11010119900101"), "candidates[0].id_number", "18 位"),
    ("registration for a missing session",
     lambda d: d["candidates"][1]["sessions"].append("formal-theroy"),
     "candidates[1].sessions[2]", "formal-theroy"),
    ("duplicate candidate",
     lambda d: d["candidates"].append({"name": "张三", "id_number": ZHANG.lower(), "sessions": []}),
     "candidates[2].id_number", "candidates[0]"),
    ("single choice without a correct answer",
     lambda d: d["papers"][0]["questions"][0].pop("correct"),
     "papers[0].questions[0].correct", "标准答案"),
    ("fill-in without accepted answers",
     lambda d: d["papers"][0]["questions"][3].update(correct=[]),
     "papers[0].questions[3].correct", "标准答案"),
    ("unknown question kind",
     lambda d: d["papers"][0]["questions"][4].update(kind="drawing"),
     "papers[0].questions[4].kind", "drawing"),
    ("unknown session kind",
     lambda d: d["sessions"][1].update(kind="rehearsal"), "sessions[1].kind", "rehearsal"),
    ("bad ISO time",
     lambda d: d["sessions"][1].update(starts_at="29 July 15:00"), "sessions[1].starts_at", "ISO 8601"),
    ("time without offset",
     lambda d: d["sessions"][1].update(starts_at="2023-07-29T15:00:00"), "sessions[1].starts_at", "时区偏移"),
    ("support hours without offset",
     lambda d: d["batch"]["support_hours"][0].update(ends_at="2023-07-25T18:00"),
     "batch.support_hours[0].ends_at", "时区偏移"),
    ("unknown paper key",
     lambda d: d["sessions"][2].update(paper="theroy"), "sessions[2].paper", "theroy"),
    ("device check that locks the screen",
     lambda d: d["sessions"][0].update(rules={"lock_screen": True, "max_screen_leaves": 3}),
     "sessions[0].rules.lock_screen", "设备调试场次不锁屏"),
    ("rule with a wrong type",
     lambda d: d["sessions"][2].update(rules={"late_after_minutes": "thirty"}),
     "sessions[2].rules.late_after_minutes", "整数"),
    ("gate that is not a time of day",
     lambda d: d["sessions"][2].update(rules={"exam_day_gate": "8 o'clock"}),
     "sessions[2].rules.exam_day_gate", "HH:MM"),
    ("misspelled field",
     lambda d: d.update(sesions=[]), "sesions", "未知的字段"),
    ("batch without a slug",
     lambda d: d["batch"].pop("slug"), "batch.slug", "必填"),
    ("unknown time zone",
     lambda d: d["batch"].update(time_zone="Mars/Olympus"), "batch.time_zone", "Mars/Olympus"),
    ("duplicate session key",
     lambda d: d["sessions"][3].update(key="mock"), "sessions[3].key", "sessions[1]"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "breaks", "path", "reason"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_it_refuses_a_bad_file_naming_the_path_and_loads_nothing(case, breaks, path, reason):
    data = good_file()
    breaks(data)

    errors = refused(data)

    assert path in errors, errors
    assert reason in errors[path]
    assert_nothing_loaded()


@pytest.mark.django_db
def test_it_lists_every_error_of_the_file_not_just_the_first():
    data = good_file()
    data["sessions"][0]["ends_at"] = "2023-07-24T09:00:00+08:00"
    data["sessions"][1]["password"] = "12345"
    data["sessions"][3]["password"] = "283381"
    data["sessions"][2]["paper"] = "nope"
    data["papers"][0]["questions"][1]["correct"] = None
    data["candidates"][0]["id_number"] = "110101199001011230"
    data["candidates"][1]["sessions"].append("missing")

    errors = refused(data)

    assert set(errors) == {
        "sessions[0].ends_at",
        "sessions[1].password",
        "sessions[3].password",
        "sessions[2].paper",
        "papers[0].questions[1].correct",
        "candidates[0].id_number",
        "candidates[1].sessions[2]",
    }
    assert_nothing_loaded()


@pytest.mark.django_db
def test_it_refuses_a_password_held_by_another_open_session():
    other = factories.SessionFactory(password="283385", starts_at=NOW, ends_at=NOW + timedelta(days=30))

    errors = refused(good_file())

    assert list(errors) == ["sessions[1].password"]
    assert other.name in errors["sessions[1].password"]
    assert ExamBatch.objects.filter(slug="2023-07-30").count() == 0
    assert ExamSession.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_a_file_that_is_not_an_object():
    assert batch_validate(data=["batch"], now=NOW) == {"file": "文件内容必须是一个 JSON 对象。"}


@pytest.mark.django_db
class TestTheCommand:
    def write(self, tmp_path: Path, content: str) -> str:
        path = tmp_path / "batch.json"
        path.write_text(content, encoding="utf-8")
        return str(path)

    def test_it_prints_the_sessions_with_their_passwords_and_the_candidate_count(self, tmp_path, capsys):
        call_command("load_batch", self.write(tmp_path, json.dumps(good_file(), ensure_ascii=False)))

        out = capsys.readouterr().out
        batch = ExamBatch.objects.get(slug="2023-07-30")
        for session in batch.sessions.all():
            assert session.name in out
            assert f"口令 password {session.password}" in out
        assert "考生 Candidates: 2" in out

    def test_it_prints_every_error_with_its_path_and_fails(self, tmp_path, capsys):
        data = good_file()
        data["sessions"][2]["ends_at"] = "2023-07-30T08:00:00+08:00"
        data["candidates"][0]["sessions"] = ["nowhere"]

        with pytest.raises(CommandError, match="2 error"):
            call_command("load_batch", self.write(tmp_path, json.dumps(data)))

        err = capsys.readouterr().err
        assert "sessions[2].ends_at: 结束时间必须晚于开考时间。" in err
        assert "candidates[0].sessions[0]: 未知的场次 key：nowhere。" in err
        assert_nothing_loaded()

    def test_it_reports_malformed_json_with_its_line(self, tmp_path):
        with pytest.raises(CommandError, match=r"malformed JSON at line 2 column"):
            call_command("load_batch", self.write(tmp_path, '{"batch":\n  {"slug": "x",}\n}'))
        assert_nothing_loaded()

    def test_it_reports_a_missing_file(self, tmp_path):
        with pytest.raises(CommandError, match="cannot read"):
            call_command("load_batch", str(tmp_path / "nope.json"))

    def test_check_only_validates(self, tmp_path, capsys):
        call_command("load_batch", "--check", self.write(tmp_path, json.dumps(good_file())))

        assert "File is valid" in capsys.readouterr().out
        assert_nothing_loaded()


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*path, i))


@pytest.mark.django_db
def test_a_value_of_the_wrong_shape_anywhere_is_an_error_never_a_crash():
    base = good_file()
    for path in list(_paths(base))[1:]:
        for wrong in (None, 7, True, [], {}, ["x"], {"a": 1}, "x"):
            data = copy.deepcopy(base)
            target = data
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = wrong
            batch_validate(data=data, now=NOW)  # raises only on a bug
    assert_nothing_loaded()
