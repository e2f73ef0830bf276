"""The address a request came from, for counting failed log-ins per address.

Behind reverse proxies every request reaches Django from a proxy's address (``REMOTE_ADDR``),
so counting failures by it would let a handful of wrong passwords lock everybody out. With
``ANNQUIZ_TRUSTED_PROXIES`` set to the number of proxies in front of the service, the client's
address is read from ``X-Forwarded-For`` instead: each proxy appends the address it received
the request from, so the entry that many places from the right was written by the outermost
trusted proxy and names the real client. Entries further left were sent by the client and are
never trusted (anyone can send that header). Without proxies (the default, 0) the header is
ignored.

This is the few lines that django-ipware would need a configuration as long as for its proxy
count; the rule is the same, and it is tested here against spoofed and short headers.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or the trusted entry of ``X-Forwarded-For``."""
    remote = request.META.get("REMOTE_ADDR")
    proxies: int = settings.ANNQUIZ_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < proxies:
        # The header is shorter than the proxies would have made it: it did not come through
        # them, so the connection's own address is all there is to go on.
        return remote
    return _address(forwarded[-proxies]) or remote
