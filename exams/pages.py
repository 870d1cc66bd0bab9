"""The candidate's pages: thin views that render a template and hand the JS what it needs.

Everything that changes during an exam goes through the candidate API; a page reads at most
one row (joined) to choose between itself and a redirect. Pages after login need the attempt
bound to the Django session by the login API, otherwise they send the candidate to the entry.
JS strings are passed through ``json_script`` so they are translated like the templates.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_safe

from candidates import idnumbers
from exams import rules, statuses
from exams.api.candidate_auth import SESSION_ATTEMPT, SESSION_LOGIN_NOTICE
from exams.models import Attempt
from exams.selectors.notice import notice_moment
from exams.services.backups import backup_public_key

# --- strings the JS shows ----------------------------------------------------------------

COMMON_STRINGS = {
    "network_error": _("网络连接失败，请检查网络后重试。"),
    "unknown_error": _("出现问题，请稍后重试；如仍无法继续，请点击页面下方的“技术支持”。"),
    "not_logged_in": _("登录已失效，请重新输入考试口令和证件号登录。已作答的内容不会丢失。"),
    "relogin": _("重新登录"),
}

ENTRY_STRINGS = {
    **COMMON_STRINGS,
    "format": _("考试口令为 6 位数字，请重新输入。"),
    "checking": _("正在核对考试口令…"),
    # the refusal itself already says to check the password: the next step is where to get help
    "next.unknown_password": _("口令核对无误仍无法进入时，请点击页面下方的“技术支持”。"),
    "next.session_expired": _("如需调试设备或参加模拟测试，请输入对应任务的考试口令。"),
    "next.exam_day_gate": _("现在可以输入设备调试口令，检查摄像头、网络和浏览器。"),
    "next.not_open_yet": _("请在开放登录后刷新本页面，再输入考试口令。"),
}

LOGIN_STRINGS = {
    **COMMON_STRINGS,
    "empty": _("请输入证件号。"),
    "checking": _("正在登录…"),
    # 503 login_busy (examsite.admission): the page waits and retries by itself.
    "queued": _(
        "登录人数较多，您正在排队，约 {seconds} 秒后自动重试登录。请不要关闭或刷新本页面，排队不会影响您的考试时间。"
    ),
    "back_to_entry": _("返回重新输入考试口令"),
    "lock_warning": _("登录后将强制进入锁屏状态，请做好考试准备后再登录。"),
    "next.invalid_id_number": _("请核对证件号后重新输入（字母需大写）。"),
    "next.not_registered": _("请确认输入的是报名时填写的本人证件号，并且考试口令属于您报名的场次。"),
    "next.late": _("如有疑问，请点击页面下方的“技术支持”联系考务人员。"),
    "next.locked": _("请点击页面下方的“技术支持”联系考务人员解锁，解锁后重新登录继续作答。"),
    "next.session": _("请返回上一步重新输入考试口令。"),
    "empty_ticket": _("请输入准考证号。"),
    "next.admission_ticket_required": _("请填写准考证上的准考证号后重新登录。"),
}

PHOTO_STRINGS = {
    **COMMON_STRINGS,
    "starting": _("正在打开摄像头…"),
    "ready": _("摄像头已就绪。请正对摄像头，点击画面下方的绿色按钮拍照。"),
    "camera_missing": _("未检测到摄像头。请连接摄像头（或换用带摄像头的电脑）后，点击“重新检测摄像头”。"),
    "camera_denied": _(
        "浏览器没有获得摄像头权限。请点击地址栏左侧的摄像头或锁形图标，选择“允许”，然后点击“重新检测摄像头”。"
    ),
    "camera_busy": _(
        "摄像头正被其他程序使用。请关闭视频会议等其他使用摄像头的程序，然后点击“重新检测摄像头”。"
    ),
    "camera_unsupported": _(
        "此浏览器无法使用摄像头。请使用最新版 Chrome、Edge、Firefox 或 Safari 打开本页面。"
    ),
    "captured": _("已拍照。请确认照片清晰、面部完整（露出额头和耳朵）并包含肩部，然后点击“确认使用此照片”。"),
    "uploading": _("正在上传照片…"),
    "uploaded": _("照片已上传。"),
    "upload_failed": _("照片上传失败，请检查网络后再次点击“确认使用此照片”。"),
    "skip_note": _("设备调试时摄像头不可用将被记录，请在正式考试前解决。"),
}

DEADLINE_STRINGS = {
    "deadline.longer_session": _("考务人员为本场考试延长了 {minutes} 分钟，新的结束时间 {time}。"),
    "deadline.shorter_session": _("考务人员将本场考试的结束时间提前了 {minutes} 分钟，新的结束时间 {time}。"),
    "deadline.longer_you": _("考务人员为您延长了 {minutes} 分钟，新的结束时间 {time}。"),
    "deadline.shorter_you": _("考务人员将您的结束时间提前了 {minutes} 分钟，新的结束时间 {time}。"),
    "deadline.reopened": _("考务人员已为您重新开放作答，新的结束时间 {time}。"),
    "deadline.changed": _("考务人员调整了考试时间，结束时间 {time}。"),
    "deadline.reason": _("原因：{reason}"),
    "deadline.dismiss": _("知道了"),
    "deadline.dismiss_label": _("关闭考试时间调整通知"),
}

BACKUP_STRINGS = {
    "backup.offline_title": _("网络已断开超过 2 分钟"),
    "backup.offline_long": _(
        "答案仍保存在本机，网络恢复后会自动上传。为防万一，可以先下载作答备份；如到考试结束网络仍未恢复，"
        "请把备份文件交给考务人员。"
    ),
    "backup.held_title": _("考试时间已到，还有 {n} 条答案未能上传"),
    "backup.held": _(
        "这些答案保存在本机，网络恢复后会自动上传并交考务人员处理。如果网络无法恢复，请点击“下载作答备份”，"
        "并把下载的文件交给考务人员（可通过技术支持）。文件已加密，只有考务系统能打开。请不要关闭本页面或清除浏览器数据。"
    ),
    "backup.left_behind": _(
        "本机还保存着没有上传到服务器的答案。请点击“下载作答备份”，并把下载的文件交给考务人员（可通过技术支持）。"
        "文件已加密，只有考务系统能打开。"
    ),
    "backup.saved": _("作答备份已下载：{name}。请把这个文件交给考务人员。"),
    "backup.failed": _("无法生成作答备份（浏览器不支持加密）。请不要关闭本页面，并立即联系技术支持。"),
}

EXAM_STRINGS = {
    **BACKUP_STRINGS,
    **COMMON_STRINGS,
    "loading": _("正在加载试卷…"),
    "retrying": _("正在重新连接服务器…"),
    "saved": _("已保存"),
    "saving": _("保存中…"),
    "unsynced": _("未同步 {n} 条"),
    "offline": _("网络已断开，答案已保存在本机，恢复后自动上传。"),
    "storage_unavailable": _("浏览器无法在本机保存答案（可能处于无痕模式或空间不足），请保持网络畅通。"),
    "question_heading": _("第 {n} 题"),
    "kind.single_choice": _("单选题"),
    "kind.multiple_choice": _("多选题"),
    "kind.true_false": _("判断题"),
    "kind.fill_in": _("填空题"),
    "kind.essay": _("简答题"),
    "points": _("{points} 分"),
    "true": _("对"),
    "false": _("错"),
    "answer_label": pgettext_lazy("the answer box of a question", "作答"),
    "answered": _("已作答"),
    "unanswered": _("未作答"),
    "nav_item": _("第 {n} 题，{status}"),
    "progress": _("已作答 {done} / {total} 题"),
    "remaining": _("剩余时间"),
    "starts_in": _("距离开考还有"),
    "submit_opens": _("{time} 后可交卷"),
    "submit": _("交卷"),
    "submit_confirm_unanswered": _("还有 {n} 道题未作答。"),
    "submit_confirm_unsynced": _("还有 {n} 条答案正在上传，交卷前会先上传完成。"),
    "submit_flushing": _("正在上传剩余答案…"),
    "submit_offline": _("网络已断开，答案尚未全部上传。请恢复网络后再交卷，本机已保存的答案不会丢失。"),
    "submitting": _("正在交卷…"),
    "submit_failed": _("交卷未成功，请检查网络后重试。如考试尚未结束，重新登录后也可以交卷。"),
    "time_up": _("考试时间已到，正在收卷…"),
    "minutes_left": _("距离考试结束还有 {n} 分钟。"),
    "leave_warning": _("检测到离开考试页面（第 {used} 次）。还可离开 {left} 次，达到上限将锁定作答。"),
    "leave_warning_nolimit": _("检测到离开考试页面（第 {used} 次），已记录。"),
    **DEADLINE_STRINGS,
    "fullscreen_failed": _("浏览器未能进入全屏。请按 F11（Mac：Control+Command+F）进入全屏后继续。"),
    "superseded": _("您的账号已在其他页面或设备登录，本页面已停止作答。请在最新登录的页面继续。"),
    "stopped": _("本页面已停止作答。"),
    "staff_message": _("考务通知：{text}"),
    "relogin_elsewhere": _(
        "注意：您的账号刚刚在另一台电脑或另一个浏览器登录，已通知监考人员。如非本人操作，请立即点击“技术支持”。"
    ),
    "relogin_counted": _("本次重新登录已计为 1 次离屏：已使用 {used} 次，还可离开 {left} 次。"),
    "relogin_counted_nolimit": _("本次重新登录已计为 1 次离屏：已使用 {used} 次。"),
    "step.photo_required": _(
        "本场考试要求先完成登录拍照才能开始答题。请返回登录拍照页面拍照；摄像头无法使用时请点击“技术支持”。"
    ),
    "step.phone_required": _(
        "本场考试要求先连接手机监控（鹰眼）才能开始答题。请返回信息确认页用手机扫描二维码；"
        "无法连接时请点击“技术支持”。"
    ),
    "step.sheet_required": _("开始答题前，请向摄像头展示一张空白 A4 草稿纸，然后点击“拍摄草稿纸”。"),
    "step.go_photo": _("返回登录拍照"),
    "step.go_confirm": _("返回信息确认页连接手机"),
    "phone_lost": _(
        "手机监控已断开！请检查手机是否锁屏、断电或断网。手机无法恢复时，点击“重新连接手机”，用手机扫描新的二维码（不会离开全屏）。"
    ),
    "phone_camera_problem": _(
        "摄像头画面异常，请检查镜头是否被遮挡。手机画面无法恢复时，点击“重新连接手机”，用手机扫描新的二维码（不会离开全屏）。"
    ),
    "phone_not_a_phone": _(
        "刚才用来连接鹰眼监控的设备不是手机。请点击“重新连接手机”，用手机扫描新的二维码。"
    ),
    "phone_never_paired": _(
        "本场考试要求鹰眼监控，但手机尚未连接。请点击“重新连接手机”，用手机扫描二维码。"
    ),
    "scratch_done": _("草稿纸照片已上传，谢谢。请继续答题。"),
    "scratch_queued": _("网络不稳定，草稿纸照片已保存在本机，联网后自动上传。请继续答题。"),
    "scratch_failed": _("未能拍摄草稿纸：摄像头不可用。请检查摄像头后重试，或点击“技术支持”。"),
    "camera.camera_black": _("摄像头画面过暗或被遮挡，请检查摄像头和光线；手机监控正常时可继续答题。"),
    "camera.camera_lost": _("摄像头已断开，请重新连接摄像头；手机监控正常时可继续答题。"),
    "camera.camera_missing": _("未检测到摄像头，请连接摄像头；手机监控正常时可继续答题。"),
    "camera.camera_denied": _("浏览器没有获得摄像头权限，请在地址栏中允许使用摄像头。"),
    "recording.on": _("录制中"),
    "recording.paused": _("录制已暂停"),
    "recording.camera_stopped": _(
        "摄像头已停止，全程录像中断（已记录）。请检查摄像头连接，并在浏览器地址栏中允许使用摄像头；页面会自动重新录制。请继续答题。"
    ),
    "recording.microphone_stopped": _(
        "麦克风已停止，全程录音中断（已记录）。请检查麦克风连接，并在浏览器地址栏中允许使用麦克风；页面会自动重新录制。请继续答题。"
    ),
    "recording.test_running": _("正在录制 10 秒测试录像，请看着摄像头说几句话…"),
    "recording.test_done": _("录制完成，请点击播放，确认能看到自己的画面、听到自己的声音。"),
    "recording.test_no_audio": _("录制完成，但没有录到声音。请检查麦克风后重新录制。"),
    "recording.test_failed": _(
        "无法录像：请检查摄像头和麦克风，并在浏览器中允许使用；建议使用最新版 Chrome 或 Edge 浏览器。"
    ),
    "check.ok": _("正常"),
    "check.failed": _("异常"),
    "check.checking": _("检测中…"),
    "check.camera_ok": _("摄像头可用"),
    "check.camera_failed": _("摄像头不可用"),
    "check.microphone_ok": _("麦克风可用"),
    "check.microphone_failed": _("麦克风不可用"),
    "check.photo_ok": _("已拍摄登录照片"),
    "check.photo_missing": _("未拍摄登录照片"),
    "check.round_trip": _("{ms} 毫秒"),
    "check.recorded": _("调试结果已记录，考务人员可以看到。"),
    "check.record_failed": _("调试结果记录失败，请检查网络后点击“重新检测”。"),
    "check.fullscreen_ok": _("支持全屏"),
    "check.fullscreen_failed": _("不支持全屏"),
}

LOCKED_STRINGS = {**COMMON_STRINGS}
FINISHED_STRINGS = {**COMMON_STRINGS, **BACKUP_STRINGS}


# --- helpers ---------------------------------------------------------------------------------


def _minutes(value) -> int:
    return int(value.total_seconds() // 60) if value else 0


def _session_attempt_id(request: HttpRequest) -> int | None:
    value = request.session.get(SESSION_ATTEMPT)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def login_notice_text(notice: object) -> str:
    """What the page after a login says when that re-login counted as a leave."""
    if not isinstance(notice, dict) or not isinstance(notice.get("leaves_used"), int):
        return ""
    used, limit = notice["leaves_used"], notice.get("leaves_max")
    if isinstance(limit, int):
        return gettext("重新登录已计为离开 %(used)d/%(max)d 次。离开考试页面的次数达到上限后，作答将被锁定。") % {
            "used": used, "max": limit,
        }
    return gettext("重新登录已计为离开，累计 %(used)d 次。") % {"used": used}


def candidate_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page after login: needs the attempt bound by the login API, else back to the entry."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        attempt_id = _session_attempt_id(request)
        if attempt_id is None:
            return redirect("entry")
        notice = request.session.get(SESSION_LOGIN_NOTICE)
        request.login_notice = login_notice_text(notice)  # type: ignore[attr-defined]
        response = view(request, attempt_id, *args, **kwargs)
        if notice is not None and response.status_code == 200:
            del request.session[SESSION_LOGIN_NOTICE]  # shown once, on the page after the login
        return response

    return require_safe(never_cache(ensure_csrf_cookie(wrapper)))


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return require_safe(never_cache(ensure_csrf_cookie(view)))


def _attempt_row(attempt_id: int, *fields: str) -> dict[str, Any] | None:
    return Attempt.objects.filter(pk=attempt_id).values("state", "locked", *fields).first()


def _elsewhere(row: dict[str, Any] | None, *, here: str) -> HttpResponse | None:
    """Where an attempt in this state belongs, when it is not ``here``."""
    if row is None:
        return redirect("entry")
    state = row["state"]
    if state == statuses.SUBMITTED:
        target = "candidate-done"
    elif state == statuses.COLLECTED:
        target = "candidate-collected"
    elif state not in statuses.OPEN:
        target = "entry"  # late or absent: nothing to do after login
    elif row["locked"]:
        target = "candidate-locked"
    else:
        return None
    return None if target == here else redirect(target)


# --- public pages ----------------------------------------------------------------------------


def form_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public page whose form the page's script sends to the API. The form is a POST so that,
    if the script never ran, the password is not put into the address; that POST gets the page
    back with a word on what went wrong (``scripts_missing``)."""
    return require_http_methods(["GET", "HEAD", "POST"])(never_cache(ensure_csrf_cookie(view)))


@form_page
def entry(request: HttpRequest) -> HttpResponse:
    """Step 1: the session password."""
    return render(request, "candidate/entry.html", {
        "js_strings": ENTRY_STRINGS, "scripts_missing": request.method == "POST",
    })


@form_page
def login(request: HttpRequest) -> HttpResponse:
    """Step 2: the ID number (the password comes from the entry step in sessionStorage)."""
    return render(request, "candidate/login.html", {
        "js_strings": LOGIN_STRINGS, "scripts_missing": request.method == "POST",
    })


# --- after login ----------------------------------------------------------------------------


@candidate_page
def photo(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Step 3: the login photo."""
    row = _attempt_row(attempt_id, "session__kind")
    if (elsewhere := _elsewhere(row, here="candidate-photo-page")) is not None:
        return elsewhere
    assert row is not None  # _elsewhere sends a missing attempt to the entry page
    return render(
        request,
        "candidate/photo.html",
        {"js_strings": PHOTO_STRINGS, "attempt_id": attempt_id,
         "device_check": row["session__kind"] == rules.DEVICE_CHECK},
    )


@candidate_page
def confirm(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Step 4: who, which session, when, the rules and the environment checklist."""
    attempt = (
        Attempt.objects.select_related("session__batch", "registration__candidate")
        .filter(pk=attempt_id)
        .first()
    )
    if (elsewhere := _elsewhere(
        {"state": attempt.state, "locked": attempt.locked} if attempt is not None else None, here="candidate-confirm"
    )) is not None:
        return elsewhere
    assert attempt is not None  # _elsewhere sends a missing attempt to the entry page
    session = attempt.session
    s = session.rules()
    tz = session.batch.tz
    context = {
        "candidate_name": attempt.registration.candidate.name,
        "id_number_masked": idnumbers.mask(attempt.registration.candidate.id_number),
        "admission_ticket": attempt.registration.admission_ticket,
        "session": session,
        "subject": attempt.registration.subject or session.subject,
        "starts_at_text": notice_moment(session.starts_at, tz),
        "ends_at_text": notice_moment(attempt.deadline, tz),
        "time_zone": session.batch.time_zone,
        "late_minutes": _minutes(session.late_after) if session.late_after is not None else None,
        "min_answer_minutes": _minutes(session.min_answer_time),
        "leaves_max": rules.leaves_max(s, extra_leaves=attempt.extra_leaves),
        "device_check": session.kind == rules.DEVICE_CHECK,
    }
    return render(request, "candidate/confirm.html", context)


@candidate_page
def exam(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Steps 5-6: lock screen, waiting room, answering, submit (all driven by exam.js)."""
    row = _attempt_row(
        attempt_id, "session__kind", "session__name", "session__lock_screen", "session__batch__time_zone",
        "session__batch_id",
    )
    if (elsewhere := _elsewhere(row, here="candidate-exam")) is not None:
        return elsewhere
    assert row is not None  # _elsewhere sends a missing attempt to the entry page
    # The batch's public key, for the emergency backup the page may have to make offline.
    backup_key = backup_public_key(batch_id=row["session__batch_id"])
    return render(
        request,
        "candidate/exam.html",
        {
            "js_strings": EXAM_STRINGS,
            "attempt_id": attempt_id,
            "session_name": row["session__name"],
            "device_check": row["session__kind"] == rules.DEVICE_CHECK,
            "lock_screen": bool(row["session__lock_screen"]),
            "time_zone": row["session__batch__time_zone"],
            "backup_key": backup_key,
        },
    )


@candidate_page
def done(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Step 7: 感谢你完成测试, with the receipt as proof."""
    row = _attempt_row(attempt_id, "receipt")
    if row is not None and row["state"] in statuses.OPEN:
        return redirect("candidate-exam")
    if (elsewhere := _elsewhere(row, here="candidate-done")) is not None:
        return elsewhere
    assert row is not None  # _elsewhere sends a missing attempt to the entry page
    return render(request, "candidate/done.html", {
        "receipt": row["receipt"], "attempt_id": attempt_id, "js_strings": FINISHED_STRINGS,
    })


@candidate_page
def collected(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Step 8: the session has ended and the account is no longer valid."""
    row = _attempt_row(attempt_id, "receipt", "deadline", "session__batch_id")
    if row is not None and row["state"] in statuses.OPEN and timezone.now() < row["deadline"]:
        return redirect("candidate-exam")
    if row is not None and row["state"] not in statuses.OPEN and (
        elsewhere := _elsewhere(row, here="candidate-collected")
    ) is not None:
        return elsewhere
    if row is None:
        return redirect("entry")
    # Past the deadline and still open, the sweep collects within seconds: show the page already.
    receipt = row["receipt"] if row["state"] == statuses.COLLECTED else ""
    return render(request, "candidate/collected.html", {
        "receipt": receipt, "attempt_id": attempt_id, "js_strings": FINISHED_STRINGS,
        "backup_key": backup_public_key(batch_id=row["session__batch_id"]),
    })


@candidate_page
def locked(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The leave limit was reached: what happened and how to get help."""
    row = _attempt_row(attempt_id, "leaves_used")
    if row is not None and row["state"] in statuses.OPEN and not row["locked"]:
        return redirect("candidate-exam")  # unlocked meanwhile
    if (elsewhere := _elsewhere(row, here="candidate-locked")) is not None:
        return elsewhere
    assert row is not None  # _elsewhere sends a missing attempt to the entry page
    return render(
        request, "candidate/locked.html",
        {"js_strings": LOCKED_STRINGS, "leaves_used": row["leaves_used"]},
    )
