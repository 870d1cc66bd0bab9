"""The demo batch: the seed notice's batch of 30 July 2023, shifted so it is live "now".

``demo_batch`` builds a batch definition (docs/batch-format.md) that ``seed_demo`` loads with
``exams.services.batches.batch_load``. The notice's shape is kept where it can be:
device check 09:00 on one day to 18:00 the next, a one-hour centralized mock, two-hour formal
sessions, fixed passwords 283381 and 283385. What moves is when: the device check spans now,
and the mock and both formal sessions start within half an hour, so their login is already open.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction

from candidates.idnumbers import resident_check_char
from exams import rules
from exams.models import ExamSession

SLUG = "2023-07-30"
NAME = "2023年全省职业技能等级统一认定（7月30日批次）"
TIME_ZONE = "Asia/Shanghai"
# Published in the seed notice; the staff password is a demo default (env DEMO_PASSWORD).
DEVICE_CHECK_PASSWORD = "283381"  # noqa: S105
MOCK_PASSWORD = "283385"  # noqa: S105
DEFAULT_STAFF_PASSWORD = "exam-demo-2023"  # noqa: S105
MOCK_MIN_ANSWER_MINUTES = 10

DEVICE_CHECK = "device-check"
MOCK = "mock"
FORMAL_THEORY = "formal-theory"
FORMAL_PRACTICAL = "formal-practical"
SESSION_KEYS = (DEVICE_CHECK, MOCK, FORMAL_THEORY, FORMAL_PRACTICAL)

# (name, first 17 characters of a resident ID, formal session key); the check character is
# computed, so every number is valid. 李四's ends in X, to try the lower-case x on login.
CANDIDATES = [
    ("张三", "11010119900307015", FORMAL_THEORY),
    ("李四", "31010419881215011", FORMAL_THEORY),
    ("王五", "44010619950620013", FORMAL_THEORY),
    ("赵六", "33010619920411017", FORMAL_PRACTICAL),
    ("陈晓明", "51010719870902021", FORMAL_PRACTICAL),
    ("刘芳", "42010219980118024", FORMAL_PRACTICAL),
]

STAFF = [
    # username, group (None: superuser), label
    ("admin", None, "超级管理员 superuser"),
    ("organizer", "organizer", "考务人员 organizer"),
    ("proctor", "proctor", "监考/审核 proctor"),
    ("support", "support", "技术支持 support"),
]


@dataclass(frozen=True)
class StaffLogin:
    username: str
    password: str
    label: str


def demo_candidates() -> list[dict[str, Any]]:
    out = []
    for n, (name, first17, formal) in enumerate(CANDIDATES, start=1):
        ticket = f"2023073{n:04d}"
        out.append({
            "name": name,
            "document_type": "resident_id",
            "id_number": first17 + resident_check_char(first17),
            "sessions": [
                DEVICE_CHECK,
                MOCK,
                {"session": formal, "admission_ticket": ticket},
            ],
        })
    return out


def _choices(*texts: str) -> list[dict[str, str]]:
    return [{"key": chr(ord("A") + i), "text": text} for i, text in enumerate(texts)]


def _papers() -> list[dict[str, Any]]:
    single_law = {
        "kind": "single_choice", "points": 2,
        "text": "根据《中华人民共和国劳动法》，劳动者每日工作时间一般不超过（ ）小时。",
        "choices": _choices("6", "8", "10", "12"), "correct": "B",
    }
    single_shock = {
        "kind": "single_choice", "points": 2,
        "text": "发现有人触电时，首先应当（ ）。",
        "choices": _choices("立即用手把触电者拉开", "切断电源或用绝缘物使触电者脱离电源",
                            "先拍照留存证据", "向触电者身上泼水"),
        "correct": "B",
    }
    multiple_ethics = {
        "kind": "multiple_choice", "points": 3,
        "text": "职业道德的基本要求包括（ ）。（多选）",
        "choices": _choices("爱岗敬业", "诚实守信", "办事公道", "投机取巧"), "correct": ["A", "B", "C"],
    }
    multiple_ppe = {
        "kind": "multiple_choice", "points": 3,
        "text": "下列属于个人劳动防护用品的有（ ）。（多选）",
        "choices": _choices("安全帽", "防护眼镜", "绝缘手套", "手机"), "correct": ["A", "B", "C"],
    }
    tf_extinguisher = {
        "kind": "true_false", "points": 1,
        "text": "灭火器应放置在明显、便于取用的地点。", "correct": True,
    }
    tf_fire = {
        "kind": "true_false", "points": 1,
        "text": "在禁止烟火的场所，只要小心就可以使用明火。", "correct": False,
    }
    fill_fire = {
        "kind": "fill_in", "points": 2,
        "text": "我国的火警电话号码是 ____。", "correct": ["119"],
    }
    essay_safety = {
        "kind": "essay", "points": 10,
        "text": "简述在工作岗位上预防安全事故的三项措施。",
    }
    return [
        {
            "key": "device-check", "name": "设备调试练习卷", "subject": "设备调试",
            "questions": [
                {**single_law, "points": 1},
                {**tf_extinguisher, "text": "设备调试只用于检查摄像头、网络和答题功能，不计成绩。"},
            ],
        },
        {
            "key": "mock", "name": "集中模拟测试卷", "subject": "模拟测试",
            "questions": [single_shock, multiple_ppe, tf_fire, fill_fire,
                          {**essay_safety, "text": "请用两三句话介绍你所报考的职业。"}],
        },
        {
            "key": "theory", "name": "理论知识试卷", "subject": "理论知识",
            "questions": [single_law, single_shock, multiple_ethics, multiple_ppe,
                          tf_extinguisher, tf_fire, fill_fire, essay_safety],
        },
        {
            "key": "practical", "name": "操作技能试卷", "subject": "操作技能",
            "questions": [
                {
                    "kind": "single_choice", "points": 5,
                    "text": "用万用表测量电阻前，被测电路应当（ ）。",
                    "choices": _choices("保持通电", "断开电源", "接地后通电"), "correct": "B",
                },
                {
                    "kind": "fill_in", "points": 5,
                    "text": "请在草稿纸上计算：某设备功率 2 kW，连续工作 3 小时，"
                            "耗电 ____ 千瓦时（只填数字）。",
                    "correct": ["6"],
                },
                {
                    "kind": "true_false", "points": 5,
                    "text": "检修设备前应挂“禁止合闸”警示牌。", "correct": True,
                },
                {
                    "kind": "multiple_choice", "points": 5,
                    "text": "操作前的安全检查应包括（ ）。（多选）",
                    "choices": _choices("工具绝缘是否完好", "防护用品是否佩戴", "现场是否整洁", "手机电量"),
                    "correct": ["A", "B", "C"],
                },
                {
                    "kind": "essay", "points": 30,
                    "text": "请写出更换一只家用插座的操作步骤及每一步的安全要点"
                            "（可先在 A4 草稿纸上列提纲）。",
                },
            ],
        },
    ]


def _iso(dt: datetime, tz: zoneinfo.ZoneInfo) -> str:
    return dt.astimezone(tz).isoformat()


def _gate_for(starts_at: datetime, ends_at: datetime, now: datetime) -> time | None:
    """08:00 on exam day, unless it is still before 08:00 there: then the demo drops the gate."""
    gate = time(8, 0)
    probe = rules.SessionRules(
        kind=rules.FORMAL, starts_at=starts_at, ends_at=ends_at, time_zone=TIME_ZONE, exam_day_gate=gate
    )
    return None if rules.is_before_exam_day_gate(probe, now) else gate


def fixed_password_free(*, password: str, key: str, now: datetime) -> bool:
    """A fixed demo password can be used unless another batch's open session holds it."""
    return not (
        ExamSession.objects.filter(password=password, ends_at__gt=now)
        .exclude(batch__slug=SLUG, key=key)
        .exists()
    )


def demo_batch(*, now: datetime) -> tuple[dict[str, Any], list[str]]:
    """The batch definition and notes (Chinese / English) on how its dates were shifted."""
    tz = zoneinfo.ZoneInfo(TIME_ZONE)
    local = now.astimezone(tz)
    t0 = local.replace(second=0, microsecond=0)
    notes: list[str] = []

    # Device check: 09:00 on one day to 18:00 on the next, as in the notice, spanning now.
    first_day = local.date() if local.time() >= time(9, 0) else local.date() - timedelta(days=1)
    check_starts = datetime.combine(first_day, time(9, 0), tzinfo=tz)
    check_ends = datetime.combine(first_day + timedelta(days=1), time(18, 0), tzinfo=tz)
    mock_starts = t0 + timedelta(minutes=20)
    theory_starts = t0 + timedelta(minutes=10)
    practical_starts = t0 + timedelta(minutes=25)
    theory_ends = theory_starts + timedelta(hours=2)
    practical_ends = practical_starts + timedelta(hours=2)
    notes.append(
        "设备调试：前一天/当天 09:00 至次日 18:00（与须知相同的两天），现在即可登录。"
        " Device check: 09:00 to 18:00 the next day, spanning now (open at once)."
    )
    notes.append(
        "集中模拟测试：20 分钟后开考，时长 1 小时（须知中为 15:00-16:00），现在已可登录信息确认；"
        f"开考 {MOCK_MIN_ANSWER_MINUTES} 分钟后即可交卷，便于演练交卷。"
        " Mock: starts in 20 minutes and lasts one hour like the notice's 15:00-16:00; login is open now;"
        f" submitting opens {MOCK_MIN_ANSWER_MINUTES} minutes after the start, to rehearse it."
    )
    notes.append(
        "正式考试：理论知识 10 分钟后开考、操作技能 25 分钟后开考，各 2 小时；开考前 30 分钟已开放登录。"
        " Formal: theory starts in 10 minutes, practical in 25, two hours each;"
        " login opens 30 minutes before the start."
    )
    notes.append(
        "人工支持时段与设备调试时段相同，便于现在试用技术支持。"
        " Support is staffed for the whole device-check window so live support can be tried now."
    )

    formal_rules: dict[str, dict[str, Any]] = {}
    for key, label, starts_at, ends_at in (
        (FORMAL_THEORY, "正式考试（理论知识） formal theory", theory_starts, theory_ends),
        (FORMAL_PRACTICAL, "正式考试（操作技能） formal practical", practical_starts, practical_ends),
    ):
        gate = _gate_for(starts_at, ends_at, now)
        formal_rules[key] = {"exam_day_gate": None if gate is None else gate.strftime("%H:%M")}
        if gate is None:
            notes.append(
                f"{label}：当地时间尚未到考试当天 08:00，演示中取消了 8:00 登录限制。"
                " It is before 08:00 on exam day, so the demo sets exam_day_gate to null."
            )
    formal_rules[FORMAL_PRACTICAL]["requires_scratch_paper"] = True

    fixed = {DEVICE_CHECK: DEVICE_CHECK_PASSWORD, MOCK: MOCK_PASSWORD}
    passwords: dict[str, str | None] = {}
    for key, password in fixed.items():
        if fixed_password_free(password=password, key=key, now=now):
            passwords[key] = password
        else:
            passwords[key] = None
            notes.append(
                f"口令 {password} 已被其他未结束的场次使用，{key} 改用系统生成的口令。"
                f" Password {password} is taken by another open session; {key} gets a generated one."
            )

    data = {
        "batch": {
            "slug": SLUG,
            "name": NAME,
            "time_zone": TIME_ZONE,
            "support_hours": [{"starts_at": _iso(check_starts, tz), "ends_at": _iso(check_ends, tz)}],
        },
        "papers": _papers(),
        "sessions": [
            {
                "key": DEVICE_CHECK, "kind": "device_check", "name": "设备调试", "subject": "设备调试",
                "password": passwords[DEVICE_CHECK], "paper": "device-check",
                "starts_at": _iso(check_starts, tz), "ends_at": _iso(check_ends, tz),
            },
            {
                "key": MOCK, "kind": "mock", "name": "集中模拟测试", "subject": "模拟测试",
                "password": passwords[MOCK], "paper": "mock",
                "starts_at": _iso(mock_starts, tz), "ends_at": _iso(mock_starts + timedelta(hours=1), tz),
                # Shorter than the hour, so candidates can rehearse submitting (the default 60 would
                # equal the length: nobody could ever submit).
                "rules": {"min_answer_minutes": MOCK_MIN_ANSWER_MINUTES},
            },
            {
                "key": FORMAL_THEORY, "kind": "formal", "name": "正式考试（理论知识）", "subject": "理论知识",
                "password": None, "paper": "theory",
                "starts_at": _iso(theory_starts, tz), "ends_at": _iso(theory_ends, tz),
                "rules": formal_rules[FORMAL_THEORY],
            },
            {
                "key": FORMAL_PRACTICAL, "kind": "formal", "name": "正式考试（操作技能）",
                "subject": "操作技能",
                "password": None, "paper": "practical",
                "starts_at": _iso(practical_starts, tz), "ends_at": _iso(practical_ends, tz),
                "rules": formal_rules[FORMAL_PRACTICAL],
            },
        ],
        "candidates": demo_candidates(),
    }
    return data, notes


TICKET_SLUG = "2023-07-30-ticket"
TICKET_SESSION = "formal-ticket"
# Who sits the admission-ticket demo session (the first two demo candidates), with their tickets.
TICKET_CANDIDATES = 2


def demo_ticket_batch(*, now: datetime) -> dict[str, Any]:
    """A second, one-session batch whose login also asks for the admission ticket number
    (``login_requires_admission_ticket``): the third login factor, tried in the demo."""
    tz = zoneinfo.ZoneInfo(TIME_ZONE)
    t0 = now.astimezone(tz).replace(second=0, microsecond=0)
    starts, ends = t0 + timedelta(minutes=15), t0 + timedelta(minutes=15, hours=2)
    gate = _gate_for(starts, ends, now)
    people = []
    for n, person in enumerate(demo_candidates()[:TICKET_CANDIDATES], start=1):
        people.append({
            "name": person["name"], "document_type": "resident_id", "id_number": person["id_number"],
            "sessions": [{"session": TICKET_SESSION, "admission_ticket": f"ZK2023073{n:04d}"}],
        })
    theory = next(p for p in _papers() if p["key"] == "theory")
    return {
        "batch": {
            "slug": TICKET_SLUG,
            "name": "准考证登录演示（证件号 + 准考证号）",
            "time_zone": TIME_ZONE,
            "login_requires_admission_ticket": True,
        },
        "papers": [theory],
        "sessions": [{
            "key": TICKET_SESSION, "kind": "formal", "name": "正式考试（准考证登录演示）",
            "subject": "理论知识", "password": None, "paper": "theory",
            "starts_at": _iso(starts, tz), "ends_at": _iso(ends, tz),
            "rules": {"exam_day_gate": None if gate is None else gate.strftime("%H:%M")},
        }],
        "candidates": people,
    }


@transaction.atomic
def demo_staff_ensure(*, password: str) -> list[StaffLogin]:
    """The demo's staff accounts, created or reset to ``password`` (demo only)."""
    logins = []
    for username, group_name, label in STAFF:
        user, _created = User.objects.get_or_create(username=username)
        user.is_staff = True
        user.is_superuser = group_name is None
        user.set_password(password)
        user.save()
        if group_name:
            group, _created = Group.objects.get_or_create(name=group_name)
            user.groups.add(group)
        logins.append(StaffLogin(username=username, password=password, label=label))
    return logins
