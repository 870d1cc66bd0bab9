"""Spreadsheet exports that never carry a formula: the one helper every CSV/XLSX export uses.

A cell a spreadsheet would read as a formula (or as the start of one, DDE included) starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — any number of them, in any mix.
Such a cell is written with a leading apostrophe, which Excel, LibreOffice and WPS show as text
and never evaluate (OWASP "CSV injection"). django-import-export's own option removes one
leading ``=`` only; it is not used.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """The cell as text that cannot start a formula; other types (numbers, dates) as they are.

    Also catches a formula behind leading spaces or line breaks (`` =1+1``, ``\\n=1``), and is
    idempotent: an escaped cell starts with ``'`` and is never escaped twice.
    """
    if isinstance(value, str) and (value.startswith(FORMULA_STARTS) or value.lstrip(" \n").startswith(FORMULA_STARTS)):
        return "'" + value
    return value


def escape_rows(rows: Any) -> list[list[Any]]:
    return [[escape_formula(cell) for cell in row] for row in rows]


class FormulaSafeExportMixin:
    """For django-import-export formats: every exported cell (headers too) goes through
    ``escape_formula`` before the file is written."""

    def export_data(self, dataset: Any, **kwargs: Any) -> Any:
        import tablib

        safe = tablib.Dataset(
            *escape_rows(dataset), headers=[escape_formula(h) for h in (dataset.headers or [])] or None,
            title=dataset.title,
        )
        return super().export_data(safe, **kwargs)  # type: ignore[misc]
