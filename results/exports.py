"""The results table as CSV and XLSX, through a django-import-export resource, streamed.

The resource names the columns and renders each value; the rows come one at a time from
``results.selectors.session_result_rows`` and go out one at a time (CSV: a streaming response;
XLSX: openpyxl's write-only workbook into a temporary file, then streamed), so 5,000 rows never
sit in memory as one table. Every text cell is formula-escaped (``examsite.spreadsheets``: one helper
for every export).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from openpyxl import Workbook

from exams.models import ExamSession
from examsite.spreadsheets import escape_formula
from results.selectors import ResultRow, session_result_rows

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _YesNo(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return str(_("合格")) if value else str(_("不合格"))


class _Flag(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return str(_("是")) if value else ""


class _When(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return timezone.localtime(value, kwargs.get("tz")).strftime("%Y-%m-%d %H:%M:%S")


class _Number(widgets.Widget):
    """Decimals as numbers (XLSX) or their text (CSV); empty when unknown."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return value if kwargs.get("numbers") else str(value)


def _f(attribute: str, header: Any, widget: widgets.Widget | None = None) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, widget=widget or widgets.Widget())


class ResultResource(resources.Resource):
    """One row per registration of a session (``ResultRow``)."""

    name = _f("name", _("姓名"))
    id_number = _f("id_number", _("证件号"))
    admission_ticket = _f("admission_ticket", _("准考证号"))
    state = _f("state_label", _("状态"))
    objective_score = _f("objective_score", _("客观题得分"), _Number())
    marks = _f("marks", _("主观题得分"), _Number())
    essays_marked = _f("essays_marked", _("主观题已评"), _Number())
    essays_waiting = _f("essays_waiting", _("主观题待评"), _Number())
    total = _f("total", _("总分"), _Number())
    passed = _f("passed", _("是否合格"), _YesNo())
    decision = _f("decision_label", _("审核结论"))
    pending_void = _f("pending_void", _("取消成绩待确认"), _Flag())
    receipt = _f("receipt", _("回执"))
    checked_in_at = _f("checked_in_at", _("首次登录"), _When())
    started_at = _f("started_at", _("开始作答"), _When())
    finished_at = _f("finished_at", _("交卷/收卷时间"), _When())
    leaves_used = _f("leaves_used", _("离屏次数"), _Number())
    late_answers = _f("late_answers", _("迟到答案"), _Number())

    class Meta:
        fields = (
            "name", "id_number", "admission_ticket", "state", "objective_score", "marks", "essays_marked",
            "essays_waiting", "total", "passed", "decision", "pending_void", "receipt", "checked_in_at",
            "started_at", "finished_at", "leaves_used", "late_answers",
        )
        export_order = fields

    def render_row(self, row: ResultRow, **kwargs: Any) -> list[Any]:
        return [escape_formula(value) for value in self.export_resource(row, **kwargs)]

    def headers(self) -> list[str]:
        return [escape_formula(h) for h in self.get_export_headers()]


def _csv_lines(session: ExamSession, rows: Iterable[ResultRow]) -> Iterator[str]:
    resource = ResultResource()
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    yield "\ufeff"  # Excel reads UTF-8 Chinese only with a BOM
    writer.writerow(resource.headers())
    yield flush()
    tz = session.batch.tz
    for row in rows:
        writer.writerow(resource.render_row(row, tz=tz))
        yield flush()


def filename(session: ExamSession, extension: str) -> str:
    return f"results-session-{session.pk}.{extension}"


def results_csv_response(*, session: ExamSession) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(session, session_result_rows(session=session)), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename(session, "csv")}"'
    return response


def results_xlsx_file(*, session: ExamSession) -> Any:
    """A temporary file holding the workbook, written row by row (openpyxl write-only mode)."""
    resource = ResultResource()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="results")
    sheet.append(resource.headers())
    tz = session.batch.tz
    for row in session_result_rows(session=session):
        sheet.append(resource.render_row(row, tz=tz, numbers=True))
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    workbook.save(handle)
    handle.seek(0)
    return handle


def results_xlsx_response(*, session: ExamSession) -> FileResponse:
    return FileResponse(
        results_xlsx_file(session=session), as_attachment=True, filename=filename(session, "xlsx"),
        content_type=XLSX_TYPE,
    )
