"""deploy/nginx/exam.conf as the operator installs it: the HTTP server redirects to HTTPS, and
the HTTPS server proxies with X-Forwarded-Proto https. Only the ports, the certificate (a
throwaway self-signed one), the log paths and the snippet's path are changed for the test."""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy.nginx import PROXY_SNIPPET, SITE, requires_nginx, start_nginx_with, stop_nginx
from tests.deploy.test_nginx_proxy import free_port, start_echo

pytestmark = [
    requires_nginx,
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed for a test certificate"),
]


def installed_site(workdir: Path, *, http_port: int, https_port: int, upstream_ports: list[int]) -> str:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=exam.example.org",
         "-addext", "subjectAltName=DNS:exam.example.org,IP:127.0.0.1",
         "-keyout", str(workdir / "privkey.pem"), "-out", str(workdir / "fullchain.pem")],
        check=True, capture_output=True, timeout=60,
    )
    text = SITE.read_text()
    text = re.sub(r"^\s*listen \[::\]:.*\n", "", text, flags=re.M)  # CI containers may lack IPv6
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ", f"listen 127.0.0.1:{https_port} ")
    text = text.replace("/etc/ssl/exam/", f"{workdir}/")
    text = text.replace("/var/log/nginx/", f"{workdir}/")
    text = text.replace("include snippets/exam-proxy.conf;", f"include {PROXY_SNIPPET};")
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+ .*;\n", text, flags=re.M)
    assert len(servers) >= 2, "the upstream lists several Daphne processes"
    ports = iter(upstream_ports)
    text = re.sub(  # the test's processes in place of the first servers listed, the rest dropped
        r"(^\s*server 127\.0\.0\.1:)\d+ (.*;\n)",
        lambda m: f"{m.group(1)}{port} {m.group(2)}" if (port := next(ports, None)) else "", text, flags=re.M,
    )
    directives = re.sub(r"#.*", "", text)
    assert "/etc/ssl/" not in directives and "/var/log/" not in directives, "certificate and logs replaced"
    return text


@pytest.fixture
def site(tmp_path) -> Iterator[tuple[int, int, Path]]:
    upstream = start_echo("a")
    http_port, https_port = free_port(), free_port()
    site = installed_site(
        tmp_path, http_port=http_port, https_port=https_port, upstream_ports=[upstream.server_address[1]]
    )
    process = start_nginx_with(tmp_path, http=site, wait_port=https_port)
    try:
        yield http_port, https_port, tmp_path / "fullchain.pem"
    finally:
        stop_nginx(process)
        upstream.shutdown()
        upstream.server_close()


def test_plain_http_is_sent_to_https_on_the_same_host(site):
    http_port, _, _ = site
    response = httpx.get(f"http://127.0.0.1:{http_port}/notice/demo/?x=1", headers={"Host": "exam.example.org"})
    assert response.status_code == 301
    assert response.headers["Location"] == "https://exam.example.org/notice/demo/?x=1"


def test_https_reaches_the_application_which_is_told_the_scheme_was_https(site):
    _, https_port, certificate = site
    response = httpx.get(
        f"https://127.0.0.1:{https_port}/healthz", headers={"Host": "exam.example.org"},
        verify=ssl.create_default_context(cafile=str(certificate)), timeout=10,
    )
    seen = response.json()
    assert seen["path"] == "/healthz"
    assert seen["headers"]["X-Forwarded-Proto"] == "https"
    assert seen["headers"]["Host"] == "exam.example.org"
    assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1"
