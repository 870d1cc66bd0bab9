"""Test settings: the one place tests override production settings.

Without REDIS_URL in the environment the unit tests use the in-memory channel layer,
local-memory cache and eager Celery; ``.ci/run`` sets DATABASE_URL and REDIS_URL to run
the same suite against real PostgreSQL and Redis.
"""

import os

os.environ.setdefault("DEBUG", "1")

from examsite.settings import *  # noqa: E402,F403
from examsite.settings import CACHES, CHANNEL_LAYERS, env  # noqa: E402  (CACHES, CHANNEL_LAYERS: changed below)

SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

if "DATABASE_URL" not in os.environ:
    # In-memory SQLite per test process, so parallel runs never share a file.
    DATABASES["default"]["NAME"] = ":memory:"  # noqa: F405

if env("REDIS_URL", default=None) is None:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    CACHES["default"]["KEY_PREFIX"] = "exam-test"
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = "exam-test"

# Two-factor is tested where it is switched on (tests/security/test_staff_login.py).
OTP_REQUIRED_FOR_ORGANIZERS = False

EVIDENCE_ROOT = str(VAR_DIR / "test-media")  # noqa: F405
MEDIA_ROOT = EVIDENCE_ROOT
