"""The production proxy rules (deploy/nginx/) in a real nginx, in front of two echo upstreams.

Each upstream answers with what it received (its name, the path, the request headers, how many
body bytes), and answers a websocket upgrade by sending the same as its first message, so
every test reads what Daphne would see behind nginx.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.test import RequestFactory, override_settings
from websockets.sync.client import connect as websocket_connect

from examsite.client_ip import client_address
from tests.deploy.nginx import requires_nginx, start_nginx, stop_nginx

pytestmark = requires_nginx

UPLOAD_LIMIT = settings.API_MAX_UPLOAD_BYTES  # = client_max_body_size (tests/deploy/test_recipe.py)
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CLIENT_ADDRESS = "127.0.0.2"  # a loopback address of its own, so it differs from nginx's 127.0.0.1


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NamedServer(ThreadingHTTPServer):
    name = ""


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # nginx keeps its upstream connections alive
    server: NamedServer  # started by start_echo

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def _seen(self, body_length: int) -> dict:
        return {
            "server": self.server.name,
            "path": self.path,
            "peer": self.client_address[0],
            "headers": dict(self.headers.items()),
            "body_length": body_length,
        }

    def _answer(self, seen: dict) -> None:
        body = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            return self._websocket()
        self._answer(self._seen(0))

    def do_POST(self):
        remaining = int(self.headers.get("Content-Length") or 0)
        received = 0
        while remaining:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                break
            received += len(chunk)
            remaining -= len(chunk)
        self._answer(self._seen(received))

    def _websocket(self):
        key = self.headers["Sec-WebSocket-Key"]
        accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()  # noqa: S324
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        payload = json.dumps(self._seen(0)).encode()
        assert len(payload) < 65536
        self.wfile.write(bytes([0x81, 126]) + len(payload).to_bytes(2, "big") + payload)  # one text frame
        self.wfile.write(bytes([0x88, 0]))  # close
        self.wfile.flush()
        self.close_connection = True


def start_echo(name: str) -> NamedServer:
    server = NamedServer(("127.0.0.1", 0), EchoHandler)
    server.daemon_threads = True
    server.name = name
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def upstreams() -> Iterator[list[NamedServer]]:
    servers = [start_echo("a"), start_echo("b")]
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def run_nginx(workdir: Path, upstreams, **options):
    port = free_port()
    process = start_nginx(
        workdir, listen_port=port, upstream_ports=[s.server_address[1] for s in upstreams], **options
    )
    return process, port


@pytest.fixture(scope="module")
def proxy(upstreams, tmp_path_factory) -> Iterator[str]:
    process, port = run_nginx(tmp_path_factory.mktemp("nginx"), upstreams)
    yield f"http://127.0.0.1:{port}"
    stop_nginx(process)


@pytest.fixture
def browser(proxy) -> Iterator[httpx.Client]:
    """A client connecting from CLIENT_ADDRESS, as a candidate's browser would from afar."""
    transport = httpx.HTTPTransport(local_address=CLIENT_ADDRESS)
    with httpx.Client(base_url=proxy, transport=transport, timeout=30) as client:
        yield client


def test_the_client_address_reaches_the_application_and_a_forged_one_does_not_count(browser):
    seen = browser.get("/login/", headers={"X-Forwarded-For": "6.6.6.6"}).json()
    assert seen["peer"] == "127.0.0.1"  # Daphne sees nginx
    assert seen["headers"]["X-Forwarded-For"] == f"6.6.6.6, {CLIENT_ADDRESS}"
    request = RequestFactory().get(
        "/login/", REMOTE_ADDR=seen["peer"], HTTP_X_FORWARDED_FOR=seen["headers"]["X-Forwarded-For"]
    )
    with override_settings(TRUSTED_PROXY_COUNT=1):  # deploy/exam.env.example
        assert client_address(request) == CLIENT_ADDRESS


def test_the_host_and_the_scheme_are_passed_on(browser):
    seen = browser.get("/notice/demo/", headers={"Host": "exam.example.org"}).json()
    assert seen["headers"]["Host"] == "exam.example.org"
    assert seen["headers"]["X-Forwarded-Proto"] == "http"  # this nginx listens on plain HTTP
    assert seen["path"] == "/notice/demo/"


def test_requests_take_turns_between_the_daphne_processes(browser):
    served = [browser.get("/healthz").json()["server"] for _ in range(6)]
    assert sorted(set(served)) == ["a", "b"]
    assert all(one != next_one for one, next_one in zip(served, served[1:], strict=False))


def test_a_websocket_on_ws_is_upgraded_with_the_forwarded_headers(proxy):
    url = proxy.replace("http://", "ws://") + "/ws/attempt/"
    with websocket_connect(url, additional_headers={"X-Forwarded-For": "6.6.6.6"}, open_timeout=10) as socket_:
        seen = json.loads(socket_.recv(timeout=10))
    assert seen["path"] == "/ws/attempt/"
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    assert headers["upgrade"].lower() == "websocket"
    assert headers["connection"].lower() == "upgrade"
    assert headers["x-forwarded-for"] == "6.6.6.6, 127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert "sec-websocket-key" in headers


def test_a_plain_request_does_not_ask_the_upstream_to_upgrade(browser):
    seen = browser.get("/api/v1/candidate/").json()
    assert "Upgrade" not in seen["headers"]
    assert "upgrade" not in seen["headers"].get("Connection", "").lower()


def test_an_upload_up_to_the_limit_passes_and_a_larger_one_gets_a_413_in_the_apps_words(browser):
    at_limit = browser.post("/api/v1/proctoring/photo/", content=b"x" * UPLOAD_LIMIT)
    assert at_limit.status_code == 200
    assert at_limit.json()["body_length"] == UPLOAD_LIMIT

    over = browser.post("/api/v1/proctoring/photo/", content=b"x" * (UPLOAD_LIMIT + 1))
    assert over.status_code == 413
    assert over.headers["Content-Type"].startswith("application/json")
    assert over.json()["code"] == "request_too_large"


def test_a_stack_with_production_settings_can_be_told_the_scheme_was_https(upstreams, tmp_path):
    process, port = run_nginx(tmp_path, upstreams, forwarded_proto="https")
    try:
        seen = httpx.get(f"http://127.0.0.1:{port}/", timeout=10).json()
    finally:
        stop_nginx(process)
    assert seen["headers"]["X-Forwarded-Proto"] == "https"


def test_stopping_nginx_frees_its_port(upstreams, tmp_path):
    process, port = run_nginx(tmp_path, upstreams)
    stop_nginx(process)
    assert process.returncode is not None
    with closing(socket.socket()) as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
