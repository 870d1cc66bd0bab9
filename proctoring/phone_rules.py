"""The phone monitor's pure rules (鹰眼监控): what a phone's state is called, and whether the
device that opens a pairing link may be the phone. No database, no settings: the service
(``proctoring.services.phone``), the selectors (``proctoring.selectors.phone_glances``) and the
wall all read these, so each rule is written once.

A phone must be a phone. A claim is refused (``not_a_phone``) when the device looks like the
candidate's own computer (``not_a_phone_reason``):

- ``same_browser``: the browser holds the candidate's own exam session (the same cookie jar);
- ``fingerprint``: the phone page reports the same coarse device fingerprint as the computer
  reported when it showed the QR code (a second browser on the same computer: other cookies,
  other user agent, the same screen, pixel ratio, platform, time zone and cores);
- ``desktop_user_agent``: a desktop browser's user agent, unless the page reports a touch screen
  on a system whose tablets pass for desktops: iPadOS Safari says "Macintosh" (and Macs have no
  touch screen), and Android tablets, or phones asking for the desktop site, say "X11; Linux".
  A Windows or ChromeOS user agent with a touch screen is a touch laptop: refused.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Protocol

from proctoring import image_checks

# What the candidate's pages and staff see (the ``phone`` block, ``PhoneGlance.status``).
NEVER_PAIRED = "never_paired"
LIVE = "live"
LOST = "lost"
CAMERA_PROBLEM = "camera_problem"
NOT_A_PHONE = "not_a_phone"
STATUSES = (NEVER_PAIRED, LIVE, LOST, CAMERA_PROBLEM, NOT_A_PHONE)

# ``PhonePairing.lost_reason``: a silent page, no images, or what the camera shows
# (proctoring.image_checks: black, uniform, frozen; the phone page: stopped).
REASON_SILENT = "silent"
REASON_NO_IMAGES = "no_images"
REASON_STOPPED = "stopped"  # the phone page saw its camera track end
IMAGE_REASONS = image_checks.REASONS
CAMERA_REASONS = (*IMAGE_REASONS, REASON_STOPPED, REASON_NO_IMAGES)
# What a phone page may report about its own camera (it can only make things worse for itself).
PHONE_REPORTABLE = (*IMAGE_REASONS, REASON_STOPPED)

# Why a device is refused as the phone (``phone_not_a_phone`` events' ``details.reason``).
SAME_BROWSER = "same_browser"
FINGERPRINT = "fingerprint"
DESKTOP_USER_AGENT = "desktop_user_agent"
NOT_A_PHONE_REASONS = (SAME_BROWSER, FINGERPRINT, DESKTOP_USER_AGENT)

_DESKTOP = re.compile(r"Windows NT|Macintosh|X11|CrOS|Linux x86_64", re.IGNORECASE)
_MOBILE = re.compile(r"Mobile|Android|iPhone|iPad|iPod|HarmonyOS|Windows Phone", re.IGNORECASE)
# Desktop user agents that a touch tablet sends: iPadOS ("Macintosh"), Android's desktop mode.
_TABLET_AS_DESKTOP = re.compile(r"Macintosh|X11|Linux x86_64", re.IGNORECASE)
_TOUCHLESS_DESKTOP = re.compile(r"Windows NT|CrOS", re.IGNORECASE)

FINGERPRINT_MAX_LENGTH = 300


class _Pairing(Protocol):
    @property
    def lost_at(self) -> datetime | None: ...

    @property
    def lost_reason(self) -> str: ...


def phone_required(session: object) -> bool:
    """Does this session require the phone monitor? (``requires_phone_monitor``, when present.)"""
    return bool(getattr(session, "requires_phone_monitor", False))


def status_of(pairing: _Pairing) -> str:
    """A claimed, current pairing's state: live, lost (a silent page) or a camera problem."""
    if pairing.lost_at is None:
        return LIVE
    return LOST if pairing.lost_reason in ("", REASON_SILENT) else CAMERA_PROBLEM


def looks_like_desktop(user_agent: str) -> bool:
    """A desktop browser's user agent (no mobile marker). An empty one is not judged."""
    return bool(user_agent) and bool(_DESKTOP.search(user_agent)) and not _MOBILE.search(user_agent)


def may_be_touch_tablet(user_agent: str) -> bool:
    """A desktop user agent that a touch tablet also sends (iPadOS Safari, Android desktop mode):
    only the page's own facts (touch points) tell them apart."""
    return bool(_TABLET_AS_DESKTOP.search(user_agent)) and not _TOUCHLESS_DESKTOP.search(user_agent)


def fingerprint_hash(facts: str) -> str:
    """The stored form of a page's coarse device fingerprint (the facts string it reports)."""
    return hashlib.sha256(facts.strip()[:FINGERPRINT_MAX_LENGTH].encode()).hexdigest() if facts.strip() else ""


def not_a_phone_reason(
    *,
    same_browser: bool,
    user_agent: str,
    touch_points: int | None,
    fingerprint: str = "",
    computer_fingerprints: frozenset[str] | set[str] = frozenset(),
) -> str | None:
    """Why this device may not be the phone (``NOT_A_PHONE_REASONS``), or None.

    ``touch_points`` is the page's ``navigator.maxTouchPoints``, None when not (yet) known (the
    link opened, before the page reported): a desktop user agent that a tablet may also send is
    then not judged; the claim, which must report it, decides. ``fingerprint`` is the hash the
    phone page's facts give (``fingerprint_hash``), ``computer_fingerprints`` those the
    candidate's computer reported for this attempt.
    """
    if same_browser:
        return SAME_BROWSER
    if fingerprint and fingerprint in computer_fingerprints:
        return FINGERPRINT
    if looks_like_desktop(user_agent):
        if not may_be_touch_tablet(user_agent):
            return DESKTOP_USER_AGENT
        if touch_points is not None and touch_points <= 1:
            return DESKTOP_USER_AGENT
    return None
