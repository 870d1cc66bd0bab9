"""Staff login: django-axes lockout by username and address; TOTP two-factor for organizers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from tests.helpers import at

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.staff_user


def admin_login(client, username, password, token=None, **meta):
    data = {"username": username, "password": password, "next": "/admin/"}
    if token is not None:
        data["otp_token"] = token
    return client.post("/admin/login/", data, **meta)


def current_token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def test_axes_guards_the_login_before_the_password_check():
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_five_wrong_passwords_lock_the_username_at_that_address_for_fifteen_minutes(organizer):
    client = Client()
    now = timezone.now()
    with at(now):
        failures = [admin_login(client, "organizer", f"wrong {n}").status_code for n in range(5)]
        locked = admin_login(client, "organizer", PASSWORD)
        elsewhere = admin_login(Client(), "organizer", PASSWORD, REMOTE_ADDR="203.0.113.7")
    assert failures[:4] == [200] * 4  # the form again, with its error
    assert locked.status_code == 429
    assert "登录已暂时锁定" in locked.content.decode()
    assert "15 分钟" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert elsewhere.status_code == 302  # the same username from another address is not locked
    with at(now + timedelta(minutes=16)):
        assert admin_login(Client(), "organizer", PASSWORD).status_code == 302


def test_the_lockout_page_is_chinese_and_needs_no_inline_code(organizer):
    client = Client()
    for n in range(6):
        response = admin_login(client, "organizer", f"wrong {n}")
    html = response.content.decode()
    assert response.status_code == 429
    assert "<script" not in html and "style=" not in html


def test_with_two_factor_off_the_admin_takes_a_password_only(organizer):
    client = Client()
    response = admin_login(client, "organizer", PASSWORD)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert 'name="otp_token"' not in client.get("/admin/login/").content.decode()


class TestTwoFactorForOrganizers:
    @pytest.fixture(autouse=True)
    def _two_factor_on(self, settings):
        settings.OTP_REQUIRED_FOR_ORGANIZERS = True

    @pytest.fixture
    def device(self, organizer):
        return TOTPDevice.objects.create(user=organizer, name="phone", confirmed=True)

    def test_the_login_page_asks_for_the_code(self, db):
        html = Client().get("/admin/login/").content.decode()
        assert 'name="otp_token"' in html
        assert "动态验证码" in html

    def test_an_organizer_without_the_code_is_not_logged_in(self, device):
        client = Client()
        response = admin_login(client, "organizer", PASSWORD)
        assert response.status_code == 200
        assert "请输入身份验证器中的 6 位动态验证码" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_an_organizer_with_a_wrong_code_is_not_logged_in(self, device):
        client = Client()
        wrong = f"{(int(current_token(device)) + 1) % 1_000_000:06d}"
        response = admin_login(client, "organizer", PASSWORD, token=wrong)
        assert "动态验证码不正确" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_an_organizer_with_the_code_reaches_the_admin(self, device):
        client = Client()
        response = admin_login(client, "organizer", PASSWORD, token=current_token(device))
        assert response.status_code == 302 and response["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200
        assert client.get("/api/v1/organizer/batches/").status_code == 200

    def test_a_superuser_needs_the_code_too(self, db):
        boss = factories.staff_user("boss", superuser=True)
        TOTPDevice.objects.create(user=boss, name="phone", confirmed=True)
        client = Client()
        assert admin_login(client, "boss", PASSWORD).status_code == 200
        assert "_auth_user_id" not in client.session

    def test_proctors_and_support_log_in_with_their_password(self, proctor, support_agent):
        for user in (proctor, support_agent):
            client = Client()
            assert admin_login(client, user.username, PASSWORD).status_code == 302
            assert client.get("/admin/").status_code == 200

    def test_an_unverified_organizer_session_reaches_no_staff_page(self, organizer, formal_session):
        client = Client()
        client.force_login(organizer)  # e.g. a session from before two-factor was switched on
        admin = client.get("/admin/")
        api = client.get("/api/v1/organizer/batches/")
        monitor = client.get(f"/monitor/{formal_session.id}/")
        review = client.get("/proctoring/review/")
        assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
        assert api.status_code == 403 and api.json()["code"] == "otp_required"
        assert monitor.status_code == 302 and monitor["Location"].startswith("/admin/login/")
        assert review.status_code == 302 and review["Location"].startswith("/admin/login/")

    def test_candidate_pages_and_api_are_untouched(self, browser_client, seat):
        session, candidate = seat
        with at(session.starts_at):
            assert browser_client.login(session, candidate).status_code == 200
            assert browser_client.get("attempt/").status_code == 200


def test_otp_enroll_gives_a_staff_user_a_device_and_prints_its_link(organizer, capsys):
    call_command("otp_enroll", username="organizer", no_qr=True)
    out = capsys.readouterr().out
    device = TOTPDevice.objects.get(user=organizer)
    assert device.confirmed
    assert out.startswith("otpauth://totp/")
    with override_settings(OTP_REQUIRED_FOR_ORGANIZERS=True):
        client = Client()
        assert admin_login(client, "organizer", PASSWORD, token=current_token(device)).status_code == 302
