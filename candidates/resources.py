"""CSV/XLSX import and export of candidates (django-import-export), and the whole-file rules
that the registration import (``exams.registration_resources``) shares.

A file is imported whole or not at all: the admin first runs it as a dry run inside a
transaction that is rolled back, shows every bad row, and offers the confirm step only
when no row is bad; the confirm step rolls back again if anything changed meanwhile.

Rows are numbered as the organizer sees them in a spreadsheet: the header is line 1, the
first candidate is line 2. Saving goes through the services (``candidate_upsert``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import resources
from import_export.formats import base_formats

from candidates import idnumbers
from candidates.models import Candidate
from candidates.services import candidate_upsert
from examsite.exceptions import InvalidInput
from examsite.spreadsheets import FormulaSafeExportMixin

# Chinese column titles an organizer may use instead of the English ones.
HEADER_ALIASES = {
    "姓名": "name",
    "证件类型": "document_type",
    "证件号": "id_number",
    "证件号码": "id_number",
    "身份证号": "id_number",
    "联系电话": "phone",
    "手机号": "phone",
    "场次": "session",
    "场次编号": "session",
    "准考证号": "admission_ticket",
    "科目": "subject",
}

COLUMN_LABELS = {
    "name": _("姓名"),
    "document_type": _("证件类型"),
    "id_number": _("证件号"),
    "phone": _("联系电话"),
    "session": _("场次编号"),
    "admission_ticket": _("准考证号"),
    "subject": _("科目"),
}


def file_line(row_number: int) -> int:
    """import-export counts data rows from 1; the spreadsheet shows the header as line 1."""
    return row_number + 1


def cell_text(value: Any) -> str:
    """A cell as text: XLSX gives numbers for digit-only cells (phone, session id)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def document_type_code(value: str) -> str:
    """The code (``resident_id``) from a code or its Chinese name; blank means resident ID."""
    if not value:
        return idnumbers.RESIDENT_ID
    by_label = {str(label): code for code, label in idnumbers.DOCUMENT_TYPES}
    return by_label.get(value, value)


class ImportRefused(Exception):
    """The file as a whole cannot be read as this kind of list (e.g. a column is missing)."""


class CSVWithChineseEncodings(base_formats.CSV):
    """CSV saved by Excel on a Chinese Windows is GB18030, not UTF-8: accept both."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                in_stream = in_stream.decode("gb18030")
        return super().create_dataset(in_stream, **kwargs)


class SafeCSV(FormulaSafeExportMixin, CSVWithChineseEncodings):
    """CSV in, CSV out with every formula-like cell escaped (examsite.spreadsheets)."""


class SafeXLSX(FormulaSafeExportMixin, base_formats.XLSX):
    """XLSX out with every formula-like cell escaped: openpyxl writes "=..." as a live formula."""


# The formats of every import/export admin of the project: exports always escape formulas.
FORMATS = [SafeCSV, SafeXLSX]


class RowsResource(resources.ModelResource):
    """Shared by both lists: header aliases, required columns, one clock, row numbers."""

    required_columns: tuple[str, ...] = ()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.now: datetime | None = None
        self.seen: dict[Any, int] = {}

    def before_import(self, dataset, **kwargs):
        self.now = timezone.now()  # once per import: every row's registration shares it
        self.seen = {}
        if dataset.headers:
            dataset.headers = [HEADER_ALIASES.get(cell_text(h), cell_text(h)) for h in dataset.headers]
        # Spreadsheets often end in formatted but empty rows; only trailing ones are dropped,
        # so every line number reported still matches the file.
        while len(dataset) and all(cell_text(v) == "" for v in dataset[-1]):
            del dataset[-1]
        missing = [c for c in self.required_columns if c not in (dataset.headers or [])]
        if missing:
            del dataset[:]  # nothing to check row by row: the whole file is refused
            raise ImportRefused(
                gettext("文件缺少必需的列：%(columns)s。第 1 行应为列名：%(expected)s。") % {
                    "columns": "、".join(missing),
                    "expected": ", ".join(self.get_import_order()),
                }
            )

    def first_seen(self, key: Any, row_number: int) -> int | None:
        """The file line where ``key`` appeared before, remembering it otherwise."""
        if key in self.seen:
            return self.seen[key]
        self.seen[key] = file_line(row_number)
        return None

    @staticmethod
    def _refusal(error: InvalidInput) -> ValidationError:
        if isinstance(error.errors, dict):
            return ValidationError(error.errors)
        return ValidationError({NON_FIELD_ERRORS: error.errors})

    @staticmethod
    def _mark_saved(instance, saved) -> None:
        instance.pk = saved.pk
        instance.created_at = saved.created_at
        instance._state.adding = False


def id_number_cell(value: str, raw: Any, errors: dict[str, str], normalize, *args) -> str:
    try:
        return normalize(value, *args)
    except idnumbers.InvalidIdNumber as error:
        errors["id_number"] = error.message
        if isinstance(raw, int | float):  # Excel turned the ID number into a number
            errors["id_number"] += gettext("（证件号列请设为文本格式，数字格式会丢失末位）")
        return ""


class CandidateResource(RowsResource):
    """Columns: name, document_type (blank = resident ID), id_number, phone."""

    required_columns = ("name", "id_number")

    class Meta:
        model = Candidate
        fields = ("name", "document_type", "id_number", "phone")
        import_order = fields
        export_order = fields
        import_id_fields = ("id_number",)
        clean_model_instances = True

    def before_import_row(self, row, **kwargs):
        raw_id = row.get("id_number")
        for key in list(row):
            row[key] = cell_text(row[key])
        errors: dict[str, str] = {}
        document_type = document_type_code(row.get("document_type", ""))
        id_number = ""
        if document_type not in dict(idnumbers.DOCUMENT_TYPES):
            errors["document_type"] = gettext("未知的证件类型：%(value)s。") % {"value": document_type}
        else:
            id_number = id_number_cell(
                row.get("id_number", ""), raw_id, errors, idnumbers.normalize, document_type
            )
        if id_number:
            earlier = self.first_seen(id_number, kwargs["row_number"])
            if earlier:
                errors["id_number"] = gettext("证件号 %(id)s 与第 %(line)d 行重复。") % {
                    "id": id_number, "line": earlier,
                }
        if errors:
            raise ValidationError(errors)
        row["document_type"], row["id_number"] = document_type, id_number

    def do_instance_save(self, instance, is_create):
        try:
            saved = candidate_upsert(
                name=instance.name, id_number=instance.id_number,
                document_type=instance.document_type, phone=instance.phone or "",
            )
        except InvalidInput as error:
            raise self._refusal(error) from None
        self._mark_saved(instance, saved)


def import_problems(result) -> list[str]:
    """Every reason a file was refused, each naming its line and column, in file order."""
    problems: list[tuple[int, str]] = [(0, str(error.error)) for error in result.base_errors]
    for number, errors in result.row_errors():
        for error in errors:
            problems.append((file_line(number), gettext("第 %(line)d 行：%(error)s") % {
                "line": file_line(number), "error": error.error,
            }))
    for row in result.invalid_rows:
        for field, reasons in row.error_dict.items():
            label = "" if field == NON_FIELD_ERRORS else f"{field}（{COLUMN_LABELS.get(field, field)}）"
            for reason in reasons:
                problems.append((file_line(row.number), gettext("第 %(line)d 行 %(column)s：%(error)s") % {
                    "line": file_line(row.number), "column": label, "error": reason,
                }))
    return [text for _line, text in sorted(problems, key=lambda p: p[0])]
