"""python manage.py seed_demo — the seed notice's batch, shifted to be live now, plus staff logins.

Safe to run again: the batch is updated through batch_load (same keys, dates shifted to the
new "now", generated passwords kept) and the staff accounts are reset to the demo password.
"""

from __future__ import annotations

import os
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from candidates.models import Candidate
from exams import demo, rules, signals
from exams.exceptions import InvalidInput
from exams.models import ExamBatch
from exams.services.batches import batch_load

STATE_LABELS = {
    rules.ENTRY_OK: "可登录 open now",
    rules.NOT_OPEN_YET: "尚未开放 not open yet",
    rules.EXAM_DAY_GATE: "考试当天 8:00 后可用 after 08:00 on exam day",
    rules.SESSION_EXPIRED: "已过期 expired",
}


class Command(BaseCommand):
    help = "Load the demo batch (seed notice of 30 July 2023, dates shifted to now) and demo staff users."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the site is served (printed URLs)"
        )
        parser.add_argument("--now", help="pretend the current time is this ISO 8601 instant (with offset)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database already holds a batch"
        )

    def handle(self, *args, base_url: str, now: str | None, if_empty: bool, **options):
        if if_empty and ExamBatch.objects.exists():
            self.stdout.write("数据库中已有批次，未导入演示数据 / batches exist already: demo not loaded.")
            return
        now_at = parse_now(now) if now else timezone.now()
        staff_password = os.environ.get("DEMO_PASSWORD") or demo.DEFAULT_STAFF_PASSWORD
        data, notes = demo.demo_batch(now=now_at)
        try:
            with transaction.atomic():
                batch = batch_load(data=data, now=now_at)
                ticket_batch = batch_load(data=demo.demo_ticket_batch(now=now_at), now=now_at)
                logins = demo.demo_staff_ensure(password=staff_password)
                signals.demo_loaded.send(sender=ExamBatch, batch=batch, now=now_at)  # support: the demo FAQ
        except InvalidInput as error:
            for path, reason in error.by_path().items():
                self.stderr.write(f"{path}: {reason}")
            raise CommandError("演示数据未能导入 / the demo batch could not be loaded") from None
        self.stdout.write(report(batch=batch, logins=logins, notes=notes, base_url=base_url, now=now_at,
                                 ticket_batch=ticket_batch))


def parse_now(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now: not an ISO 8601 time: {value}") from None
    if parsed.tzinfo is None:
        raise CommandError("--now: give the time with its offset, e.g. 2023-07-30T08:50:00+08:00")
    return parsed


def ticket_report(ticket_batch: ExamBatch, now: datetime) -> list[str]:
    """The admission-ticket demo: what its candidates type (password, ID number, ticket number)."""
    tz = ticket_batch.tz
    lines = ["", "准考证登录演示 Admission-ticket login (口令 + 证件号 + 准考证号 password + ID + ticket)"]
    for s in ticket_batch.sessions.order_by("starts_at", "id"):
        state = STATE_LABELS.get(rules.entry_decision(s.rules(), now), "")
        lines.append(
            f"  {s.name}  {s.starts_at.astimezone(tz):%m-%d %H:%M} — {s.ends_at.astimezone(tz):%m-%d %H:%M}"
            f"  考试口令 {s.password}  ({state})"
        )
        for r in s.registrations.select_related("candidate").order_by("id"):
            lines.append(
                f"    {r.candidate.name}  证件号 {r.candidate.id_number}"
                f"  准考证号 admission ticket: {r.admission_ticket}"
            )
    return lines


def report(*, batch: ExamBatch, logins, notes: list[str], base_url: str, now: datetime,
           ticket_batch: ExamBatch | None = None) -> str:
    tz = batch.tz
    base = base_url.rstrip("/")
    lines = [
        "",
        f"演示批次已就绪 Demo batch ready: {batch.name}",
        f"现在 Now: {now.astimezone(tz):%Y-%m-%d %H:%M} ({batch.time_zone})",
        "",
        "网址 URLs",
        f"  考生入口 Candidate entry:  {base}/",
        f"  考生须知 Notice page:      {base}/notice/{batch.slug}/",
        f"  考务后台 Admin:            {base}/admin/",
        "",
        "场次与考试口令 Sessions and passwords",
    ]
    sessions = batch.sessions.filter(key__in=demo.SESSION_KEYS).order_by("starts_at", "id")
    for s in sessions:
        state = STATE_LABELS.get(rules.entry_decision(s.rules(), now), "")
        extra = "  需展示 A4 草稿纸 A4 scratch paper" if s.requires_scratch_paper else ""
        lines.append(
            f"  {s.name} [{s.get_kind_display()} {s.kind}]  "
            f"{s.starts_at.astimezone(tz):%m-%d %H:%M} — {s.ends_at.astimezone(tz):%m-%d %H:%M}  "
            f"口令 password: {s.password}  ({state}){extra}"
        )
    lines += ["", "考生（证件号登录）Candidates (log in with the ID number)"]
    candidates = Candidate.objects.filter(
        registrations__session__batch=batch, id_number__in=[c["id_number"] for c in demo.demo_candidates()]
    ).distinct().prefetch_related("registrations__session")
    for c in candidates:
        seats = ", ".join(
            r.session.name + (f" 准考证 {r.admission_ticket}" if r.admission_ticket else "")
            for r in c.registrations.all()
            if r.session.batch_id == batch.pk
        )
        lines.append(f"  {c.name}  证件号 ID number: {c.id_number}  — {seats}")
    if ticket_batch is not None:
        lines += ticket_report(ticket_batch, now)
    lines += ["", "工作人员登录 Staff logins (username / password)"]
    for login in logins:
        lines.append(f"  {login.label}:  {login.username} / {login.password}")
    lines += ["", "说明 Notes"] + [f"  - {note}" for note in notes]
    lines.append("  - 员工密码可用环境变量 DEMO_PASSWORD 设置。Set DEMO_PASSWORD to pick the staff password.")
    return "\n".join(lines) + "\n"

