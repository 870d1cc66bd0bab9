"""Bench overlay: the project's settings plus psycopg's connection pool (Django 5.1+).

Django's documentation: "When using ASGI, persistent connections should be disabled. Instead,
use your database backend's built-in connection pooling". Each ASGI request runs its sync code
in a thread of its own, so CONN_MAX_AGE > 0 leaves one idle connection per past request, and
CONN_MAX_AGE = 0 opens a new connection for every request and every socket's database call.
The bench measures with this pool by default (BENCH_DB_POOL=0 turns it off) and reports all
three configurations in its conn_probe figure. If examsite.settings configures a pool itself,
this overlay changes nothing.
"""

from examsite.settings import *  # noqa: F403
from examsite.settings import DATABASES, env

_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.postgresql" and not _db.get("OPTIONS", {}).get("pool"):
    _db["CONN_MAX_AGE"] = 0  # required with a pool
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env.int("BENCH_POOL_MAX_SIZE", default=12),
        "timeout": 30,
    }
