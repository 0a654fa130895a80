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
