import pytest
from django.conf import settings

from tests.fixtures.users import PASSWORD


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_account_out(client, supervisor_user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            "/accounts/login/", {"username": supervisor_user.username, "password": "wrong"}
        )
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content

    # Even the right password is refused while the lock lasts.
    response = client.post(
        "/accounts/login/", {"username": supervisor_user.username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_few_typos_do_not_lock_anyone_out(client, supervisor_user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/accounts/login/", {"username": supervisor_user.username, "password": "typo"})
    response = client.post(
        "/accounts/login/", {"username": supervisor_user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(supervisor_user.pk)


def _log_in(client, username, password, *, address, forwarded=None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_a_guesser_does_not_lock_the_real_user_out_from_another_address(admin_user):
    from django.test import Client

    attacker, owner = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _log_in(attacker, admin_user.username, "guess", address="198.51.100.66")
    assert response.status_code == 429
    response = _log_in(owner, admin_user.username, PASSWORD, address="192.0.2.10")
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(admin_user.pk)


@pytest.mark.django_db
def test_behind_a_proxy_the_forwarded_address_is_the_one_locked_out(admin_user, settings):
    from django.test import Client

    settings.PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    proxy = "10.0.0.2"  # every request reaches the app from the proxy
    attacker, owner = Client(), Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        # Whatever the attacker writes into the header, the proxy appends the real address.
        forwarded = f"203.0.113.{n}, 198.51.100.66"
        response = _log_in(
            attacker, admin_user.username, "guess", address=proxy, forwarded=forwarded
        )
    assert response.status_code == 429
    response = _log_in(owner, admin_user.username, PASSWORD, address=proxy, forwarded="192.0.2.10")
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(admin_user.pk)


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_forwarded_header_changes_nothing(admin_user, settings):
    from django.test import Client

    settings.PROXY_COUNT = 0
    attacker = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        forged = f"192.0.2.{n}"
        response = _log_in(
            attacker, admin_user.username, "guess", address="198.51.100.66", forwarded=forged
        )
    assert response.status_code == 429
    response = _log_in(
        attacker, admin_user.username, PASSWORD, address="198.51.100.66", forwarded="192.0.2.10"
    )
    assert response.status_code == 429


@pytest.mark.django_db
def test_one_address_trying_many_usernames_is_stopped(admin_user, settings):
    from django.test import Client

    settings.AXES_ADDRESS_FAILURE_LIMIT = 8  # the default (20) proves nothing more, slower
    sprayer = Client()
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        response = _log_in(sprayer, f"user{n}", "Summer2026!", address="198.51.100.66")
        assert response.status_code == 200  # each username alone is far from its own limit
    response = _log_in(sprayer, "last-try", "Summer2026!", address="198.51.100.66")
    assert response.status_code == 429
    response = _log_in(sprayer, admin_user.username, PASSWORD, address="198.51.100.66")
    assert response.status_code == 429
    assert "_auth_user_id" not in sprayer.session
    # Another address is not affected.
    response = _log_in(Client(), admin_user.username, PASSWORD, address="192.0.2.10")
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_client_bypassing_the_proxy_cannot_pick_a_new_address_per_try(admin_user, settings):
    from django.test import Client

    settings.PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    attacker = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        # Straight to gunicorn, not through the proxy: its header is not believed.
        response = _log_in(
            attacker,
            admin_user.username,
            "guess",
            address="198.51.100.66",
            forwarded=f"192.0.2.{n}",
        )
    assert response.status_code == 429


@pytest.mark.django_db
def test_an_ipv6_sprayer_is_stopped_across_its_whole_64(admin_user, settings):
    from django.test import Client

    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    sprayer = Client()
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        # A new address of the same /64 for every try.
        response = _log_in(sprayer, f"user{n}", "Summer2026!", address=f"2001:db8:1:2::{n + 1:x}")
        assert response.status_code == 200
    response = _log_in(sprayer, "last-try", "Summer2026!", address="2001:db8:1:2:ffff::1")
    assert response.status_code == 429
    # The next /64 is someone else.
    response = _log_in(Client(), admin_user.username, PASSWORD, address="2001:db8:1:3::1")
    assert response.status_code == 302
