"""Which address a request is counted under (throttling) and recorded as (django-axes)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from examsite.client_ip import client_address, client_ip


def request(remote="203.0.113.1", forwarded=None):
    meta = {"REMOTE_ADDR": remote} if remote is not None else {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    req = RequestFactory().get("/")
    req.META.pop("REMOTE_ADDR", None)
    req.META.update(meta)
    return req


@pytest.mark.parametrize(
    "remote,forwarded,count,address,key",
    [
        ("203.0.113.1", None, 0, "203.0.113.1", "203.0.113.1"),
        ("203.0.113.1", "198.51.100.7", 0, "203.0.113.1", "203.0.113.1"),  # not trusted: ignored
        ("10.0.0.2", "198.51.100.7", 1, "198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.7", 1, "198.51.100.7", "198.51.100.7"),  # forged left entry
        ("10.0.0.3", "6.6.6.6, 198.51.100.7, 10.0.0.2", 2, "198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "", 1, "10.0.0.2", "10.0.0.2"),  # no header: the proxy was bypassed
        ("10.0.0.2", "garbage", 1, "10.0.0.2", "10.0.0.2"),
        ("2001:db8:1:2:3:4:5:6", None, 0, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.9", None, 0, "192.0.2.9", "192.0.2.9"),
        (None, None, 0, None, "unknown"),
        ("not an ip", None, 0, None, "unknown"),
    ],
)
def test_the_client_address_and_its_throttling_key(remote, forwarded, count, address, key):
    with override_settings(TRUSTED_PROXY_COUNT=count):
        req = request(remote, forwarded)
        assert client_address(req) == address
        assert client_ip(req) == key
