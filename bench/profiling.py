"""py-spy on a running server process, and a short summary of where its samples went."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Leaf frames are grouped by the file they are in: the first matching fragment names it.
CATEGORIES = [
    ("PostgreSQL driver (psycopg)", ("psycopg",)),
    ("Django ORM / SQL compiler", ("django/db/",)),
    ("Redis client (cache, channel layer)", ("redis/", "channels_redis")),
    (
        "sessions, signing, CSRF",
        (
            "django/contrib/sessions",
            "django/core/signing",
            "django/middleware/csrf",
            "examsite/session_store",
            "examsite/csrf",
        ),
    ),
    ("DRF (request, parsing, rendering)", ("rest_framework/",)),
    (
        "Django request/middleware/urls",
        (
            "django/core/handlers",
            "django/middleware",
            "django/urls",
            "django/http",
            "django/utils",
            "django/contrib",
            "csp/",
            "axes/",
            "django_otp",
            "examsite/",
        ),
    ),
    ("asgiref thread hops", ("asgiref/",)),
    ("Daphne / Twisted / autobahn", ("daphne/", "twisted/", "autobahn/", "txaio/")),
    ("uvicorn / uvloop / httptools", ("uvicorn/", "uvloop", "httptools")),
    ("asyncio / threading", ("asyncio/", "threading.py", "concurrent/", "selectors.py", "queue.py")),
    ("exam code (exams/, candidates/, proctoring/)", ("exams/", "candidates/", "proctoring/")),
    ("json / logging / other stdlib", ("json/", "logging/", "python3.", "lib/python")),
]


# Frames whose inclusive time is worth a line: our own code and the few library layers that
# hot paths go through (SQL execution, sessions, cache, channel layer).
INCLUSIVE_PREFIXES = (
    "exams/",
    "candidates/",
    "proctoring/",
    "examsite/",
    "bench/",
    "django/contrib/sessions/",
    "django/db/backends/utils.py",
    "django/core/cache/",
    "channels_redis/",
    "channels/generic/",
    "channels/db.py",
    "rest_framework/views.py",
    "asgiref/sync.py",
)


def pyspy_binary() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, out: Path) -> subprocess.Popen | None:
    """Sample ``pid`` 100 times a second without stopping it (--nonblocking), only threads
    holding the GIL (--gil): where the process spends CPU, not where it waits."""
    binary = pyspy_binary()
    if binary is None:
        return None
    return subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "100",
            "--format",
            "raw",
            "--nonblocking",
            "--gil",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen | None) -> None:
    """End a recording early; py-spy writes its output on SIGINT."""
    if process is None:
        return
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _frame_name(frame: str) -> tuple[str, str]:
    """'func (path/to/file.py:12)' -> ('func', 'path/to/file.py')."""
    name, _, where = frame.rpartition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return (name or frame), path


def _short(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/", "/main/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path  # py-spy already prints paths relative to sys.path


def category(path: str) -> str:
    for label, fragments in CATEGORIES:
        if any(f in path for f in fragments):
            return label
    return "other"


def summarize(raw: Path, *, top: int = 12) -> dict:
    """Self time by category and by function, inclusive time by function, from a py-spy raw
    (collapsed stacks) file."""
    if not raw.exists():
        return {"samples": 0}
    total = 0
    by_category: Counter = Counter()
    self_time: Counter = Counter()
    inclusive: Counter = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        leaf_name, leaf_path = _frame_name(frames[-1])
        by_category[category(leaf_path)] += count
        self_time[f"{leaf_name} ({_short(leaf_path)})"] += count
        seen = set()
        for frame in frames:
            name, path = _frame_name(frame)
            short = _short(path)
            if not short.startswith(INCLUSIVE_PREFIXES):
                continue
            key = f"{name} ({short})"
            if key not in seen:
                seen.add(key)
                inclusive[key] += count
    pct = (lambda n: round(100 * n / total, 1)) if total else (lambda n: 0.0)
    return {
        "samples": total,
        "by_category": [[k, pct(v)] for k, v in by_category.most_common()],
        "self": [[k, pct(v)] for k, v in self_time.most_common(top)],
        "inclusive": [[k, pct(v)] for k, v in inclusive.most_common(top)],
    }
