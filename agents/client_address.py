"""A request's client address: the one function every part of the app asks (login throttling
included, through AXES_CLIENT_IP_CALLABLE).

The peer's address (REMOTE_ADDR) is the client's, unless the peer is one of our reverse
proxies: a request from an address in DJANGO_TRUSTED_PROXIES has its X-Forwarded-For read,
exactly DJANGO_PROXY_COUNT hops from the right, never further. Each proxy appends the address
it received the request from, so anything left of that hop was written by the client; and a
client that reaches gunicorn directly, not from a trusted address, cannot choose its address
by sending the header itself.

Entries may carry a port (`203.0.113.7:41234`, `[2001:db8::7]:443`, as some load balancers
write them); an IPv4 address mapped into IPv6 (`::ffff:203.0.113.7`) is the IPv4 address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> IPAddress | None:
    """An address as a proxy or the server writes it, with or without a port; None if it is
    none (`unknown`, an obfuscated name, garbage)."""
    text = text.strip()
    if text.startswith("["):  # [IPv6] or [IPv6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4:port (a bare IPv6 address has several colons)
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def is_trusted_proxy(address: IPAddress) -> bool:
    """Whether the address is one of our reverse proxies (DJANGO_TRUSTED_PROXIES)."""
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the one
    DJANGO_PROXY_COUNT hops from the right of X-Forwarded-For."""
    if request is None:
        return None
    remote = parse_address(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.PROXY_COUNT
    if remote is None or proxies <= 0 or not is_trusted_proxy(remote):
        return None if remote is None else str(remote)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        # Fewer hops than configured proxies: the request skipped one; trust nothing it says.
        return str(remote)
    return str(parse_address(forwarded[-proxies]) or remote)
