"""Fixtures for the API's tests: tokens for users in each role, and a client that sends one."""

import pytest
from django.test import Client

from agents.services.api_tokens import api_token_issue


def bearer(token: str) -> dict[str, str]:
    """The headers of a request made with `token` (Django's test client form)."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


class ApiClient:
    """A test client whose every request carries one API token (and no session cookie)."""

    def __init__(self, token: str):
        self.token = token
        self.client = Client()

    def get(self, path: str, data=None, **extra):
        return self.client.get(path, data, **bearer(self.token), **extra)

    def post(self, path: str, json=None, **extra):
        return self.client.post(
            path,
            json if json is not None else {},
            content_type="application/json",
            **bearer(self.token),
            **extra,
        )

    def put(self, path: str, json=None, **extra):
        return self.client.put(
            path, json, content_type="application/json", **bearer(self.token), **extra
        )


def api_client_for(user, name: str = "test script") -> ApiClient:
    return ApiClient(api_token_issue(user=user, name=name).token)


@pytest.fixture
def supervisor_api(supervisor_user) -> ApiClient:
    return api_client_for(supervisor_user)


@pytest.fixture
def manager_api(manager_user) -> ApiClient:
    return api_client_for(manager_user)


@pytest.fixture
def admin_api(admin_user) -> ApiClient:
    return api_client_for(admin_user, "hr-sync")
