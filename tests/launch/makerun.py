"""``make run`` as a new user starts it, driven from a test, and a plain HTTP client that loads a
page the way a browser does: the page, then every script, stylesheet and module it references."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx

from examsite.launcher import ROOT, free_port, port_open, wait_for

START_TIMEOUT = 240  # a fresh database: migrations and the demo batch on SQLite


class MakeRun:
    def __init__(self, process: subprocess.Popen[bytes], port: int, output: Path) -> None:
        self.process = process
        self.port = port
        self.output = output
        self.url = f"http://127.0.0.1:{port}"
        self.started: set[int] = set()

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def descendants(self) -> set[int]:
        return descendants(self.process.pid)


@contextmanager
def make_run(var_dir: Path, *, env: dict[str, str] | None = None) -> Iterator[MakeRun]:
    """Start ``make run`` in a session of its own with its own var directory and port."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("PYTEST_", "DJANGO_", "DATABASE_URL", "REDIS_URL", "DEBUG"))}
    clean.update(VAR_DIR=str(var_dir), PORT=str(port), **(env or {}))
    var_dir.mkdir(parents=True, exist_ok=True)
    output = var_dir / "make-run.log"
    with open(output, "ab") as sink:
        process = subprocess.Popen(["make", "run"], cwd=ROOT, env=clean, stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    run = MakeRun(process, port, output)
    try:
        def up() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"make run exited with {process.returncode}:\n{run.text()[-4000:]}")
            # The launcher's own line, printed once every process is up ("Running mode=standalone"
            # in Redis's log would say so too early).
            return port_open(port) and "Running (" in run.text()

        wait_for(up, timeout=START_TIMEOUT, what="make run", interval=0.2)
        run.started = run.descendants()
        yield run
    finally:
        # Whatever a test did to it, nothing it started may outlive the test: make's group (make,
        # its recipe shell, the launcher) and every process seen below make.
        seen = run.started | run.descendants()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        for pid in seen:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Client:
    """A cookie-keeping HTTP client. ``https_proxy_headers`` makes each request look as if it came
    through the TLS proxy (X-Forwarded-Proto: https, Referer/Origin https), as production expects;
    cookies are then Secure, so they are kept and sent by hand."""

    def __init__(self, base_url: str, *, https_proxy_headers: bool = False) -> None:
        self.base_url = base_url
        self.https = https_proxy_headers
        self.cookies: dict[str, str] = {}
        self.http = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept-Language": "zh-CN"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.https:
            origin = "https://" + urlparse(self.base_url).netloc
            headers.update({"X-Forwarded-Proto": "https", "Origin": origin, "Referer": origin + "/"})
        headers.update(extra or {})
        return headers

    def _keep(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)

    def request(self, method: str, path: str, *, follow: bool = True, **kwargs) -> httpx.Response:
        headers = self._headers(kwargs.pop("headers", None))
        response = self.http.request(method, path, headers=headers, **kwargs)
        self._keep(response)
        hops = 0
        while follow and response.is_redirect and hops < 10:
            location = urljoin(str(response.url), response.headers["location"])
            path = urlparse(location)._replace(scheme="", netloc="").geturl()
            response = self.http.get(path, headers=self._headers())
            self._keep(response)
            hops += 1
        return response

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        headers = {"X-CSRFToken": self.cookies.get("csrftoken", "")}
        headers.update(kwargs.pop("headers", {}))
        return self.request("POST", path, headers=headers, **kwargs)


SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.I)
LINK = re.compile(r"<link\b[^>]*\bhref=[\"']([^\"']+)[\"']", re.I)
JS_IMPORT = re.compile(
    r"""(?:\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?|\bexport\s*[\w*{}\s,$]+\s*from\s*|\bimport\s*\(\s*)["']([^"']+)["']"""
)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']""")

CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".mjs": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".svg": ("image/svg+xml",),
    ".ico": ("image/x-icon", "image/vnd.microsoft.icon"),
    ".gif": ("image/gif",),
    ".woff": ("font/woff", "application/font-woff"),
    ".woff2": ("font/woff2",),
    ".ttf": ("font/ttf", "application/x-font-ttf"),
    ".map": ("application/json", "application/octet-stream"),
}


def page_assets(html: str, page_url: str) -> set[str]:
    """The absolute URLs of the scripts and linked files a page references (same site only)."""
    found = set()
    for pattern in (SCRIPT, LINK):
        for ref in pattern.findall(html):
            if ref.startswith(("#", "data:", "blob:")):
                continue
            found.add(urljoin(page_url, ref))
    site = urlparse(page_url).netloc
    return {u for u in found if urlparse(u).netloc == site}


def referenced(body: str, url: str) -> set[str]:
    """What a script imports or a stylesheet pulls in, as absolute URLs."""
    refs: set[str] = set()
    if url.endswith((".js", ".mjs")):
        refs = {ref for ref in JS_IMPORT.findall(body) if ref.startswith((".", "/"))}
    elif url.endswith(".css"):
        refs = {a or b for a, b in CSS_URL.findall(body)}
        refs = {r for r in refs if not r.startswith(("data:", "#", "http:", "https:"))}
    return {urljoin(url, ref).split("#")[0].split("?")[0] for ref in refs}


def fetch_assets(client: Client, urls: set[str], failures: list[str], seen: set[str]) -> None:
    """Fetch every URL and what it references, recording each one that is not 200 with the
    content type its name implies."""
    todo = sorted(urls - seen)
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        path = urlparse(url)._replace(scheme="", netloc="").geturl()
        response = client.get(path, follow=False)
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        suffix = Path(urlparse(url).path).suffix
        expected = CONTENT_TYPES.get(suffix)
        if response.status_code != 200:
            failures.append(f"{path}: {response.status_code}")
            continue
        if expected and kind not in expected:
            failures.append(f"{path}: content type {kind!r}, expected {expected[0]}")
            continue
        todo.extend(sorted(referenced(response.text, url) - seen) if suffix in {".js", ".mjs", ".css"} else [])


def wait_gone(pids: set[int], port: int, *, timeout: float) -> tuple[set[int], bool]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = {pid for pid in pids if alive(pid)}
        if not left and not port_open(port):
            return set(), False
        time.sleep(0.1)
    return {pid for pid in pids if alive(pid)}, port_open(port)
