"""Run Debian's nginx with the production proxy rules in front of processes a test started.

The configuration is ``nginx_ci.conf.template`` around the site under test: by default the
maps and the ``exam_daphne`` upstream taken from ``deploy/nginx/exam.conf`` (with the test's
ports), and ``deploy/nginx/exam-proxy.conf`` included as it is, on plain HTTP on a loopback port.
nginx runs in the foreground as a child of the test, with its pid file, logs and temporary
files in ``workdir``.

    process = start_nginx(workdir, listen_port=free_port(), upstream_ports=[daphne_a, daphne_b])
    ...
    stop_nginx(process)
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "exam.conf"
PROXY_SNIPPET = ROOT / "deploy" / "nginx" / "exam-proxy.conf"
TEMPLATE = Path(__file__).with_name("nginx_ci.conf.template")

_HTTP_LEVEL_BLOCK = re.compile(r"^(?:map|upstream) [^\n]*\{\n.*?^\}\n", re.S | re.M)
_UPSTREAM_SERVER = re.compile(r"^(\s*)server 127\.0\.0\.1:\d+([^;\n]*);\n", re.M)


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    if os.access("/usr/sbin/nginx", os.X_OK):  # Debian's, when /usr/sbin is not on PATH
        return "/usr/sbin/nginx"
    return None


# Skipped on a developer's machine without nginx; never in CI (.ci/run installs it), where a
# missing nginx must fail rather than pass by skipping.
requires_nginx = pytest.mark.skipif(
    nginx_binary() is None and not os.environ.get("CI"),
    reason="nginx is not installed (Debian: apt-get install nginx, or scripts/ensure-nginx.sh)",
)


def site_http_parts(*, upstream_ports: list[int], forwarded_proto: str | None = None) -> str:
    """The http-level blocks of exam.conf (maps, upstream), with the upstream on the given ports.

    ``forwarded_proto`` (e.g. ``"https"``) replaces what the application is told the scheme was,
    for a stack with production settings behind this plain-HTTP nginx.
    """
    if not upstream_ports:
        raise ValueError("at least one upstream port")
    blocks = _HTTP_LEVEL_BLOCK.findall(SITE.read_text())
    if not any(block.startswith("upstream exam_daphne ") for block in blocks):
        raise RuntimeError(f"no `upstream exam_daphne` block found in {SITE}")
    rendered = []
    for block in blocks:
        if block.startswith("upstream "):
            first = _UPSTREAM_SERVER.search(block)
            if first is None:
                raise RuntimeError(f"no server line in the upstream block of {SITE}")
            indent, parameters = first.groups()
            lines = "".join(f"{indent}server 127.0.0.1:{port}{parameters};\n" for port in upstream_ports)
            # the test's servers where exam.conf lists its own, with the same parameters
            block = block[: first.start()] + lines + _UPSTREAM_SERVER.sub("", block[first.start():])
        elif block.startswith("map $scheme $exam_forwarded_proto ") and forwarded_proto:
            block = re.sub(r"default \$scheme;", f"default {forwarded_proto};", block)
        rendered.append(block)
    return "\n".join(rendered)


def ci_site(*, listen_port: int, upstream_ports: list[int], forwarded_proto: str | None = None) -> str:
    """exam.conf's http-level blocks and a plain-HTTP server on loopback with the proxy rules."""
    return (
        site_http_parts(upstream_ports=upstream_ports, forwarded_proto=forwarded_proto)
        + "\nserver {\n"
        + f"    listen 127.0.0.1:{listen_port};\n"
        + "    server_name _;\n"
        + f"    include {PROXY_SNIPPET};\n"
        + "}\n"
    )


def render_config(workdir: Path, *, http: str) -> Path:
    """nginx.conf in ``workdir`` with ``http`` (blocks of an http context) as its site."""
    workdir = workdir.resolve()
    text = TEMPLATE.read_text()
    replacements = {
        # As root nginx would run its workers as "nobody", who cannot enter a private temp dir.
        "@USER@": "user root;" if os.geteuid() == 0 else "",
        "@WORKDIR@": str(workdir),
        "@HTTP@": http,
    }
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    path = workdir / "nginx.conf"
    path.write_text(text)
    return path


def _accepts(port: int) -> bool:
    with closing(socket.socket()) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_nginx(
    workdir: Path,
    *,
    listen_port: int,
    upstream_ports: list[int],
    forwarded_proto: str | None = None,
    wait_seconds: float = 10.0,
) -> subprocess.Popen:
    """Start nginx with the production proxy rules on ``listen_port`` in front of ``upstream_ports``
    and return once it accepts connections."""
    site = ci_site(listen_port=listen_port, upstream_ports=upstream_ports, forwarded_proto=forwarded_proto)
    return start_nginx_with(workdir, http=site, wait_port=listen_port, wait_seconds=wait_seconds)


def start_nginx_with(workdir: Path, *, http: str, wait_port: int, wait_seconds: float = 10.0) -> subprocess.Popen:
    """Start nginx in the foreground on any site and wait until ``wait_port`` accepts connections."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (scripts/ensure-nginx.sh)")
    workdir.mkdir(parents=True, exist_ok=True)
    config = render_config(workdir, http=http)
    error_log = workdir / "error.log"
    with open(workdir / "nginx.stderr", "w") as stderr:
        process = subprocess.Popen(
            # -e: the log for messages before the configuration is read (the compiled-in
            # default, /var/log/nginx/error.log, may not be writable).
            [binary, "-c", str(config), "-p", str(workdir), "-e", str(error_log), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )
    deadline = time.monotonic() + wait_seconds
    while not _accepts(wait_port):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_nginx(process)
            logs = "\n".join(
                path.read_text(errors="replace") for path in (workdir / "nginx.stderr", error_log) if path.exists()
            )
            raise RuntimeError(f"nginx did not start on port {wait_port}:\n{logs}")
        time.sleep(0.05)
    return process


def stop_nginx(process: subprocess.Popen, *, wait_seconds: float = 10.0) -> None:
    """Fast shutdown (SIGTERM: the master stops its workers), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=wait_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
