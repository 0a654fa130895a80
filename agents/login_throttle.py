"""Login throttling (django-axes) that an attacker cannot turn against someone else.

Two limits, both over AXES_COOLOFF_TIME:

- per username and address (AXES_FAILURE_LIMIT): a guesser at one address locks only
  themselves out for that username; the real user at another address logs in as usual;
- per address across usernames (AXES_ADDRESS_FAILURE_LIMIT, higher, as an office behind one
  NAT shares it): one address trying many usernames (password spraying) is stopped.

The address is the peer's, or, behind DJANGO_PROXY_COUNT reverse proxies, the one the
outermost of them saw: X-Forwarded-For is trusted exactly that far, never further, so a client
cannot pick an address of its own choosing by sending the header itself.
"""

from __future__ import annotations

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting X-Forwarded-For only as far as DJANGO_PROXY_COUNT says.

    Each of our proxies appends the address it received the request from, so with N proxies
    the client is the N-th entry from the right; anything left of it was written by the client.
    """
    remote = _address(request.META.get("REMOTE_ADDR", "")) if request else None
    proxies = int(getattr(settings, "PROXY_COUNT", 0))
    if proxies <= 0 or request is None:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part.strip() for part in forwarded if part.strip()]
    if len(forwarded) < proxies:
        # Fewer hops than configured proxies: the request skipped one; trust nothing it says.
        return remote
    return _address(forwarded[-proxies]) or remote


def address_failures(ip_address: str | None) -> int:
    """Failed log-ins from this address within the cool-off, whatever the usernames."""
    if not ip_address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=ip_address)
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


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
