"""Personal API tokens: the page (/account/tokens/) shows a new token once and stores only its
hash; each token's created, expiry and last use; revoking one's own, and admins anyone's; the
`api_token` command."""

import hashlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from agents.models import ApiToken
from agents.services.api_tokens import api_token_authenticate, api_token_issue
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

PAGE = "/account/tokens/"


def new_token_text(response) -> str:
    match = re.search(r'id="new-token-text">([^<]+)<', response.content.decode())
    assert match, "the new token is shown"
    return match.group(1)


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(supervisor_client, supervisor_user):
    response = supervisor_client.post(PAGE, {"name": "rostering", "days": 30})
    assert response.status_code == 201
    token = new_token_text(response)
    record = ApiToken.objects.get()
    assert record.user == supervisor_user and record.name == "rostering"
    assert record.secret_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(vars(record).values())
    assert timedelta(days=29, hours=23) < record.expires_at - timezone.now() <= timedelta(days=30)
    again = supervisor_client.get(PAGE).content.decode()
    assert token not in again and "rostering" in again
    assert f"dct_{record.prefix}_…" in again
    assert ApiClient(token).get("/api/v1/agents").status_code == 200


def test_the_default_expiry_is_ninety_days_and_bad_input_is_explained(supervisor_client):
    page = supervisor_client.get(PAGE).content.decode()
    assert 'value="90"' in page
    refused = supervisor_client.post(PAGE, {"name": "  ", "days": 400})
    assert refused.status_code == 200 and not ApiToken.objects.exists()
    text = refused.content.decode()
    assert "This field is required." in text or "Give the token a name." in text
    assert "Ensure this value is less than or equal to 365." in text


def test_last_use_is_shown_and_written_at_most_once_a_minute(supervisor_client, supervisor_user):
    issued = api_token_issue(user=supervisor_user, name="sync")
    assert "never" in supervisor_client.get(PAGE).content.decode()
    api_token_authenticate(issued.token)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    api_token_authenticate(issued.token)
    assert ApiToken.objects.get().last_used_at == first  # within the minute: not rewritten
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    api_token_authenticate(issued.token)
    assert ApiToken.objects.get().last_used_at > first
    assert "never" not in supervisor_client.get(PAGE).content.decode()


def test_a_user_revokes_their_own_token_but_not_anothers(
    supervisor_client, supervisor_user, manager_user
):
    own = api_token_issue(user=supervisor_user, name="mine").record
    other = api_token_issue(user=manager_user, name="theirs").record
    page = supervisor_client.get(PAGE).content.decode()
    assert "mine" in page and "theirs" not in page
    response = supervisor_client.post(f"{PAGE}{own.pk}/revoke/", follow=True)
    assert "The API token “mine” is revoked." in response.content.decode()
    refused = supervisor_client.post(f"{PAGE}{other.pk}/revoke/", follow=True)
    assert "There is no such API token of yours." in refused.content.decode()
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.revoked_by == supervisor_user and other.revoked_at is None


def test_an_admin_sees_and_revokes_anyones_token(admin_client, admin_user, supervisor_user):
    issued = api_token_issue(user=supervisor_user, name="team lead script")
    page = admin_client.get(PAGE).content.decode()
    assert "team lead script" in page and "sam.supervisor" in page
    response = admin_client.post(f"{PAGE}{issued.record.pk}/revoke/", follow=True)
    assert "“team lead script” of sam.supervisor is revoked." in response.content.decode()
    assert "Revoked by ada.admin" in response.content.decode()
    assert ApiClient(issued.token).get("/api/v1/agents").status_code == 401


def test_the_page_needs_a_signed_in_user(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_command_prints_a_working_token(supervisor_user):
    out, err = StringIO(), StringIO()
    call_command(
        "api_token", "sam.supervisor", "--name", "cron", "--days", "7", stdout=out, stderr=err
    )
    token = out.getvalue().strip()
    assert token.startswith("dct_") and "valid until" in err.getvalue()
    record = ApiToken.objects.get()
    assert record.name == "cron" and record.expires_at - timezone.now() <= timedelta(days=7)
    assert ApiClient(token).get("/api/v1/agents").status_code == 200


def test_the_command_refuses_an_unknown_user_and_a_bad_expiry(supervisor_user):
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        call_command("api_token", "nobody", "--name", "x")
    with pytest.raises(CommandError, match="from 1 to 365 days"):
        call_command("api_token", "sam.supervisor", "--name", "x", "--days", "0")
    assert not ApiToken.objects.exists()
