"""Issue 16: the phone's QR link is on the address the candidate reached the site by (or
SITE_URL), never a loopback address in production."""

from __future__ import annotations

from datetime import timedelta

import pytest

from examsite.site_url import is_loopback_host, is_loopback_url
from proctoring.models import PhonePairing
from tests.helpers import START, at

PAIRING = "/api/v1/proctoring/pairing/"
T0 = START + timedelta(minutes=2)


def post_pairing(client, host: str):
    with at(T0):
        return client.client.post(PAIRING, data="{}", content_type="application/json",
                                  HTTP_HOST=host, HTTP_X_CSRFTOKEN=client.csrf)


def test_the_qr_link_is_on_the_host_the_candidate_reached(logged_in, settings):
    settings.ALLOWED_HOSTS = ["exam.example.org", "testserver"]
    settings.SITE_URL = ""
    response = post_pairing(logged_in, "exam.example.org")
    assert response.status_code == 201, response.content
    assert response.json()["url"].startswith("http://exam.example.org/proctoring/phone/")


def test_site_url_wins_over_the_request_host(logged_in, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    settings.SITE_URL = "https://exam.example.org"
    response = post_pairing(logged_in, "127.0.0.1")
    assert response.status_code == 201, response.content
    assert response.json()["url"].startswith("https://exam.example.org/proctoring/phone/")


def test_production_never_hands_a_phone_a_loopback_address(logged_in, settings, attempt):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    settings.SITE_URL = ""
    settings.DEBUG = False
    response = post_pairing(logged_in, "127.0.0.1:8000")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "site_address_unknown" and "技术支持" in body["detail"]
    assert not PhonePairing.objects.filter(attempt=attempt).exists()  # nothing half-made


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.1:8000", True), ("localhost:8000", True), ("[::1]:8000", True),
    ("::1", True), ("exam.example.org", False), ("10.0.0.5:8000", False), ("192.168.1.20", False),
])
def test_loopback_hosts(host, loopback):
    assert is_loopback_host(host) is loopback


def test_loopback_urls():
    assert is_loopback_url("http://localhost:8000/x") and not is_loopback_url("https://exam.example.org")
