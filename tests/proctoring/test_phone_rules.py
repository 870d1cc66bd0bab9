"""The phone monitor's pure rules (proctoring.phone_rules): who may be the phone."""

from __future__ import annotations

import pytest

from proctoring import phone_rules
from proctoring.phone_rules import fingerprint_hash, not_a_phone_reason

WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Safari/605.1.15"
)
IPADOS = MAC  # iPadOS Safari asks for the desktop site by default: the very same user agent
CHROMEOS = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
    "Mobile Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)


def reason(user_agent: str, touch_points: int | None, **kwargs) -> str | None:
    return not_a_phone_reason(same_browser=False, user_agent=user_agent, touch_points=touch_points, **kwargs)


@pytest.mark.parametrize("user_agent", [ANDROID, IPHONE, ""])
@pytest.mark.parametrize("touch_points", [None, 0, 5])
def test_a_phone_is_a_phone_whatever_it_reports_of_touch(user_agent, touch_points):
    assert reason(user_agent, touch_points) is None


def test_an_ipad_with_its_desktop_user_agent_is_not_refused_when_it_reports_touch():
    assert reason(IPADOS, 5) is None
    assert reason(IPADOS, 2) is None


def test_a_mac_is_refused_it_has_no_touch_screen():
    assert reason(MAC, 0) == phone_rules.DESKTOP_USER_AGENT
    assert reason(MAC, 1) == phone_rules.DESKTOP_USER_AGENT


def test_a_tablet_like_desktop_user_agent_is_not_judged_before_its_page_reports():
    """Opening the link (GET) tells no touch points: the claim, which must report them, decides."""
    assert reason(MAC, None) is None
    assert reason(LINUX, None) is None


def test_an_android_tablet_in_desktop_mode_reports_touch():
    assert reason(LINUX, 10) is None
    assert reason(LINUX, 0) == phone_rules.DESKTOP_USER_AGENT


@pytest.mark.parametrize("user_agent", [WINDOWS, CHROMEOS])
@pytest.mark.parametrize("touch_points", [None, 0, 10])
def test_windows_and_chromeos_are_refused_even_with_a_touch_screen(user_agent, touch_points):
    assert reason(user_agent, touch_points) == phone_rules.DESKTOP_USER_AGENT


def test_the_same_cookie_jar_is_refused_first():
    assert not_a_phone_reason(same_browser=True, user_agent=ANDROID, touch_points=5) == phone_rules.SAME_BROWSER


def test_the_computers_own_fingerprint_is_refused_whatever_the_user_agent_says():
    computer = fingerprint_hash("v1|1920x1080|1|Win32|Asia/Shanghai|8")
    assert reason(ANDROID, 5, fingerprint=computer, computer_fingerprints={computer}) == phone_rules.FINGERPRINT
    assert reason(IPADOS, 5, fingerprint=computer, computer_fingerprints={computer}) == phone_rules.FINGERPRINT
    other = fingerprint_hash("v1|844x390|3|iPhone|Asia/Shanghai|6")
    assert reason(IPHONE, 5, fingerprint=other, computer_fingerprints={computer}) is None
    assert reason(IPHONE, 5, fingerprint="", computer_fingerprints={computer}) is None


def test_fingerprints_are_stored_hashed_and_blank_stays_blank():
    assert fingerprint_hash("") == "" and fingerprint_hash("   ") == ""
    hashed = fingerprint_hash("v1|1920x1080|1|Win32|Asia/Shanghai|8")
    assert len(hashed) == 64 and hashed == fingerprint_hash(" v1|1920x1080|1|Win32|Asia/Shanghai|8 ")


def test_the_state_of_a_claimed_pairing():
    class Pairing:
        def __init__(self, lost_at, lost_reason=""):
            self.lost_at, self.lost_reason = lost_at, lost_reason

    assert phone_rules.status_of(Pairing(None)) == phone_rules.LIVE
    assert phone_rules.status_of(Pairing("t", "silent")) == phone_rules.LOST
    for camera in ("black", "uniform", "frozen", "stopped", "no_images"):
        assert phone_rules.status_of(Pairing("t", camera)) == phone_rules.CAMERA_PROBLEM
