"""The client's address: X-Forwarded-For only from a trusted proxy, entries with a port or in
IPv6 understood, and `check --deploy` warning of a proxy nobody told the app about."""

import pytest
from django.core.checks import run_checks
from django.test import RequestFactory

from agents.client_address import client_ip

PROXY = "127.0.0.1"


def address(*, remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@pytest.fixture
def behind_one_proxy(settings):
    settings.PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["127.0.0.0/8", "::1/128"]  # the default when PROXY_COUNT > 0


def test_a_client_reaching_gunicorn_directly_cannot_choose_its_address(behind_one_proxy):
    assert address(remote="198.51.100.66", forwarded="192.0.2.10") == "198.51.100.66"


def test_a_request_from_a_trusted_proxy_gives_the_address_the_proxy_saw(behind_one_proxy):
    # Whatever the client wrote into the header, the proxy appended the real address.
    assert address(remote=PROXY, forwarded="192.0.2.1, 198.51.100.66") == "198.51.100.66"
    assert address(remote="::1", forwarded="198.51.100.66") == "198.51.100.66"


def test_a_request_that_skipped_a_proxy_is_taken_at_its_peer_address(settings):
    settings.PROXY_COUNT = 2
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address(remote="10.0.0.2", forwarded="198.51.100.66, 10.0.0.1") == "198.51.100.66"
    assert address(remote="10.0.0.2", forwarded="198.51.100.66") == "10.0.0.2"
    assert address(remote="127.0.0.1", forwarded="192.0.2.1, 10.0.0.1") == "127.0.0.1"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.7:41234", "203.0.113.7"),
        ("2001:db8::7", "2001:db8::7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("[2001:DB8:0:0::7]", "2001:db8::7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("unknown", PROXY),  # nothing usable: the proxy's own address, never a guess
    ],
)
def test_forwarded_entries_with_a_port_or_in_ipv6_are_read(behind_one_proxy, forwarded, expected):
    assert address(remote=PROXY, forwarded=f"192.0.2.1, {forwarded}") == expected


def test_without_proxies_the_header_is_ignored(settings):
    settings.PROXY_COUNT = 0
    assert address(remote=PROXY, forwarded="192.0.2.10") == PROXY


def _deploy_warnings(settings, *, proxy_count: int) -> list[str]:
    settings.DEBUG = False
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.PROXY_COUNT = proxy_count
    return [message.id for message in run_checks(include_deployment_checks=True, tags=["security"])]


def test_deploy_check_warns_of_a_tls_proxy_with_a_proxy_count_of_zero(settings):
    assert "agents.W001" in _deploy_warnings(settings, proxy_count=0)


def test_deploy_check_is_quiet_once_the_proxies_are_counted(settings):
    assert "agents.W001" not in _deploy_warnings(settings, proxy_count=1)
