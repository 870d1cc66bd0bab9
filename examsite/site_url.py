"""The site's address for links that leave the page they are made on (the phone's QR code).

``SITE_URL`` when set; otherwise the request's own scheme and host (the name the candidate
typed, passed on by nginx). A loopback address is never handed out in production: a phone
cannot reach the computer's 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from examsite.exceptions import DomainError


class SiteAddressUnknown(DomainError):
    code = "site_address_unknown"
    status = 503
    default_detail = _(
        "暂时无法生成手机扫码地址（网站地址未配置）。请点击页面下方的“技术支持”告诉工作人员，"
        "或稍后刷新页面重试。"
    )


def is_loopback_host(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1 (with or without a port or brackets)."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    return is_loopback_host(urlsplit(url).netloc.rsplit("@", 1)[-1])


def absolute_url(request: HttpRequest, path: str) -> str:
    """``path`` on the site as the outside reaches it (``SITE_URL``, else the request's host)."""
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if base:
        return base + path
    url = request.build_absolute_uri(path)
    if not settings.DEBUG and is_loopback_url(url):
        raise SiteAddressUnknown()
    return url
