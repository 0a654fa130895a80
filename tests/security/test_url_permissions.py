"""Walk every URL pattern: anonymous users go to the login page, each role is allowed or
refused (403) as the access table below says, and a new URL without an entry fails the test."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from agents.roles import ADMIN, MANAGER, SUPERVISOR

# Pages anyone may open, and Django's own admin (which has its own staff login).
PUBLIC = {"healthz", "login", "logout"}

DIRECTORY = {SUPERVISOR, MANAGER, ADMIN}
AUDIT = {MANAGER, ADMIN}
CAD = {ADMIN}

# URL name -> the roles allowed. The words: Supervisor (directory, schedules, export),
# Manager (the same, plus the CAD audit trail), Admin (also CAD jobs and the DeepCall status).
ACCESS = {
    "home": DIRECTORY,
    "agent-list": DIRECTORY,
    "agent-export": DIRECTORY,
    "agent-refresh": DIRECTORY,
    "agent-detail": DIRECTORY,
    "change-list": DIRECTORY,
    "change-export": DIRECTORY,
    "schedules": DIRECTORY,
    "schedules-coverage-csv": DIRECTORY,
    "schedules-slot": DIRECTORY,
    "cad-job-list": AUDIT,
    "cad-job-detail": AUDIT,
    "cad-selection": CAD,
    "cad-job-confirm": CAD,
    "cad-job-start": CAD,
    "cad-job-retry": CAD,
    "cad-job-undo": CAD,
    "upstream-status": CAD,
}

SAMPLE_KWARGS = {"agent_id": "2", "public_id": uuid.UUID(int=1)}


def named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            yield from named_patterns(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern


def url_for(pattern: URLPattern) -> str:
    kwargs = {name: SAMPLE_KWARGS[name] for name in pattern.pattern.converters}
    return reverse(pattern.name, kwargs=kwargs)


def request(client, url: str):
    """GET, or POST where the view only takes POST."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


ALL_NAMES = sorted({p.name for p in named_patterns()} - PUBLIC)


def test_every_url_pattern_has_an_access_rule():
    assert set(ALL_NAMES) == set(ACCESS), "add new URLs to ACCESS (and decide who may use them)"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ALL_NAMES)
def test_anonymous_users_are_sent_to_the_login_page(client, name):
    pattern = next(p for p in named_patterns() if p.name == name)
    response = request(client, url_for(pattern))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [SUPERVISOR, MANAGER, ADMIN, None])
@pytest.mark.parametrize("name", ALL_NAMES)
def test_each_role_is_allowed_or_refused_as_specified(client, django_user_model, name, role):
    from tests.fixtures.users import make_user

    client.force_login(make_user(django_user_model, f"user-{role}", role))
    pattern = next(p for p in named_patterns() if p.name == name)
    response = request(client, url_for(pattern))
    if role in ACCESS[name]:
        # Allowed: whatever the page says about the sample id, it is not a refusal.
        assert response.status_code != 403, f"{role} refused at {name}"
        assert response.status_code < 500
    else:
        assert response.status_code == 403, f"{role} not refused at {name}"
