"""Formula escaping for every exported cell (CSV and XLSX).

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (CSV/DDE injection: a candidate named ``=HYPERLINK(...)``). Such text cells
get a leading apostrophe, which spreadsheets show as text. Numbers are not text and stay numbers.

One function on purpose: a project-wide helper can replace it in one place.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell; non-text values are returned unchanged.

    Also catches a formula behind leading spaces or line breaks (`` =1+1``, ``\\n=1``), and is
    idempotent: an escaped cell starts with ``'`` and is never escaped twice.
    """
    if not isinstance(value, str) or not value:
        return value
    if value.lstrip(" \n").startswith(FORMULA_STARTS) or value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
