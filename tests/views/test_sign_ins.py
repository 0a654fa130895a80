"""The sign-in record: every sign-in, failure, lockout, sign-out and enrolment, for admins."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from agents.models import SignInEvent
from tests.fixtures.sandbox import sso_sign_in
from tests.fixtures.users import PASSWORD, current_code

pytestmark = pytest.mark.django_db
Kind, Method = SignInEvent.Kind, SignInEvent.Method


def events():
    return list(
        SignInEvent.objects.order_by("pk").values_list("username", "kind", "method", "address")
    )


def test_password_sign_in_failure_and_sign_out_are_recorded(supervisor_user):
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.post(reverse("login"), {"username": "sam.supervisor", "password": "wrong"})
    client.post(reverse("login"), {"username": "sam.supervisor", "password": PASSWORD})
    client.post(reverse("logout"))
    assert events() == [
        ("sam.supervisor", Kind.FAILED, Method.PASSWORD, "192.0.2.7"),
        ("sam.supervisor", Kind.SIGNED_IN, Method.PASSWORD, "192.0.2.7"),
        ("sam.supervisor", Kind.SIGNED_OUT, "", "192.0.2.7"),
    ]


def test_a_lockout_is_recorded(supervisor_user):
    client = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "sam.supervisor", "password": "guess"})
    assert ("sam.supervisor", Kind.LOCKED_OUT, "", "198.51.100.9") in events()


def test_codes_and_enrolment_are_recorded_with_the_code_method(admin_user):
    client = Client(REMOTE_ADDR="192.0.2.8")
    client.post(reverse("login"), {"username": "ada.admin", "password": PASSWORD})
    client.post(reverse("two-factor-verify"), {"code": "000000"})
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=admin_user)
    client.post(reverse("two-factor-verify"), {"code": current_code(device)})
    assert events()[-2:] == [
        ("ada.admin", Kind.FAILED, Method.CODE, "192.0.2.8"),
        ("ada.admin", Kind.SIGNED_IN, Method.CODE, "192.0.2.8"),
    ]


def test_single_sign_on_is_recorded_as_such(client, sso_settings):
    sso_sign_in(client, "sso-admin")
    sso_sign_in(client, "sso-contractor")
    recorded = [(u, k, m) for u, k, m, _ in events()]
    assert ("sso-admin", Kind.SIGNED_IN, Method.SSO) in recorded
    assert ("", Kind.FAILED, Method.SSO) in recorded


def test_admins_read_the_record_filtered_and_paged(admin_client):
    SignInEvent.objects.bulk_create(
        SignInEvent(username=f"user{i}", kind=Kind.FAILED, method=Method.PASSWORD)
        for i in range(60)
    )
    SignInEvent.objects.create(username="zed", kind=Kind.SIGNED_IN, method=Method.SSO)
    total = SignInEvent.objects.count()  # the admin's own sign-in too
    assert total > 61
    page = admin_client.get(reverse("sign-in-list")).content.decode()
    assert f"<strong>{total}</strong> events" in page
    assert 'aria-label="Pages of sign-ins"' in page
    filtered = admin_client.get(reverse("sign-in-list") + "?method=sso").content.decode()
    assert "<strong>1</strong> event match" in filtered and "zed" in filtered
    assert admin_client.get(reverse("sign-in-list") + "?kind=nope").status_code == 200


def test_only_admins_read_the_record(manager_client):
    assert manager_client.get(reverse("sign-in-list")).status_code == 403
