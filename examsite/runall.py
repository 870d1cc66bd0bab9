"""``make run``: the whole system on one machine, on its embedded defaults.

Starts the private Redis (unless REDIS_URL is set), migrates, loads the demo batch into an
empty database, then runs Daphne and a Celery worker with embedded beat. Ctrl-C stops all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from examsite import embedded

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "examsite.settings")
    children: list[subprocess.Popen] = []
    if "REDIS_URL" not in env:
        children.append(embedded.start())
        print(f"embedded Redis on {embedded.SOCKET_PATH}")
    manage = [sys.executable, "manage.py"]
    try:
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
        subprocess.run([*manage, "seed_demo", "--if-empty", "--base-url", f"http://{HOST}:{PORT}"],
                       env=env, check=True)
        children.append(subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", HOST, "-p", PORT, "examsite.asgi:application"],
            env=env,
        ))
        children.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "examsite", "worker", "-B", "-l", "warning",
             "--concurrency", "2", "-s", str(embedded.VAR_DIR / "celerybeat-schedule")],
            env=env,
        ))
        print(f"\nRunning: http://{HOST}:{PORT}/  (admin: http://{HOST}:{PORT}/admin/)  Ctrl-C stops.\n")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a process stopped; shutting down", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    sys.exit(main())
