"""The application's settings plus the benchmark's baseline hooks (``make bench`` only).

The application knows nothing of bench: bench/stack.py starts every process with
DJANGO_SETTINGS_MODULE=bench.settings, and the ASGI server with ``bench.asgi:application``.
"""

from examsite.settings import *  # noqa: F403
from examsite.settings import MIDDLEWARE

BENCH_BASELINE = True
# Counts the SQL statements of each request (X-Bench-Queries); first, so it sees them all.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "bench.urls"
