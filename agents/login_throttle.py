"""Login throttling (django-axes) that an attacker cannot turn against someone else.

Two limits, both over AXES_COOLOFF_TIME:

- per username and address (AXES_FAILURE_LIMIT): a guesser at one address locks only
  themselves out for that username; the real user at another address logs in as usual;
- per address across usernames (AXES_ADDRESS_FAILURE_LIMIT, higher, as an office behind one
  NAT shares it): one address trying many usernames (password spraying) is stopped.

The address comes from `agents.client_address.client_ip` (X-Forwarded-For only from trusted
proxies). An IPv6 user is usually given a whole /64, so the per-address limit counts a /64 as
one address: otherwise a sprayer could change address with every try.
"""

from __future__ import annotations

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from agents.client_address import client_ip, parse_address

# An IPv6 site (a home, an office, a cloud server) is usually given a /64.
IPV6_SPRAYING_PREFIX = 64


def address_failures(ip_address: str | None) -> int:
    """Failed log-ins from this address (an IPv6 address's whole /64) within the cool-off,
    whatever the usernames."""
    address = parse_address(ip_address or "")
    if address is None:
        return 0
    attempts = AccessAttempt.objects.all()
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    if address.version == 4:
        attempts = attempts.filter(ip_address=str(address))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
    # The database stores each address in its short form, which no prefix of text matches.
    network = ipaddress.ip_network(f"{address}/{IPV6_SPRAYING_PREFIX}", strict=False)
    return sum(
        failures
        for other, failures in attempts.filter(ip_address__contains=":").values_list(
            "ip_address", "failures_since_start"
        )
        if ipaddress.ip_address(other) in network
    )


class LoginThrottleHandler(AxesDatabaseHandler):
    """django-axes' database handler plus the per-address limit across usernames."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or self._address_locked(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        # axes marks the request locked out (its 429 page) by the username-and-address count;
        # mark it by the address count too.
        super().user_login_failed(sender, credentials, request, **kwargs)
        locked = request is not None and getattr(request, "axes_locked_out", False)
        if request is not None and not locked and self._address_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials

    @staticmethod
    def _address_locked(request) -> bool:
        ip_address = getattr(request, "axes_ip_address", None) or client_ip(request)
        return address_failures(ip_address) >= settings.AXES_ADDRESS_FAILURE_LIMIT
