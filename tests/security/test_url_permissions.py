"""Walk every URL pattern, named or not: each role gets exactly the status the table below says,
for GET and for POST alike, and a new URL without an entry fails the test.

Allowed roles get the view's own answer (the sample agent and job exist, forms are empty);
refused roles get 403 where the method is accepted and 405 where it is not; anonymous users
are sent to the login page wherever the method is accepted.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from agents.roles import ADMIN, MANAGER, SUPERVISOR
from tests.fixtures.agents import create_agents

DIRECTORY = {SUPERVISOR, MANAGER, ADMIN}
AUDIT = {MANAGER, ADMIN}
CAD = {ADMIN}
ANYONE = "anyone"  # public pages: every role and anonymous users get the same answer
SIGNED_IN = {SUPERVISOR, MANAGER, ADMIN, None}  # one's own account: any signed-in user

# Pattern (its name, or its route when it has none) -> (roles allowed, GET status, POST status)
# for an allowed role. The words: Supervisor (directory, schedules, export), Manager
# (the same, plus the CAD audit trail), Admin (also CAD jobs and the DeepCall status).
ACCESS = {
    "healthz": (ANYONE, 200, 405),
    "readyz": (ANYONE, 503, 405),  # no task worker runs during these tests
    "login": (ANYONE, 200, 200),  # an empty form comes back with its errors
    "logout": (ANYONE, 405, 302),
    "sso-start": (ANYONE, 302, 405),  # off to the identity provider
    "sso-callback": (ANYONE, 403, 405),  # no code from the provider: the refusal page
    "admin-login": (ANYONE, 302, 302),  # Django's admin signs in on the dashboard's page
    "two-factor-verify": (SIGNED_IN, 302, 302),  # no code owed: on to the home page
    "two-factor-enrol": (SIGNED_IN, 200, 200),  # the QR code; an empty code comes back
    "account": (SIGNED_IN, 200, 405),
    "password-change": (SIGNED_IN, 200, 200),  # an empty form comes back with its errors
    "sessions-end-others": (SIGNED_IN, 405, 302),
    "sign-in-list": (CAD, 200, 405),  # the sign-in record: Admins, beside the export trail
    "user-list": (CAD, 200, 405),
    "user-disable": (CAD, 405, 302),
    "user-enable": (CAD, 405, 302),
    "user-scope": (CAD, 200, 200),  # an empty form comes back with its errors
    "home": (DIRECTORY, 200, 405),
    "agent-list": (DIRECTORY, 200, 405),
    "agent-export": (DIRECTORY, 200, 405),
    "agent-refresh": (DIRECTORY, 405, 302),
    "agent-detail": (DIRECTORY, 200, 405),
    "change-list": (DIRECTORY, 200, 405),
    "change-export": (DIRECTORY, 200, 405),
    "schedules": (DIRECTORY, 200, 405),
    "schedules-coverage-csv": (DIRECTORY, 200, 405),
    "schedules-slot": (DIRECTORY, 400, 405),  # no slot asked for: a clear 400
    # Everyone reads the staffing targets; Managers and Admins change them.
    "schedules-targets": (DIRECTORY, 200, 405),
    "schedules-targets-csv": (DIRECTORY, 200, 405),
    "schedules-targets-save": (AUDIT, 405, 302),  # an empty grid changes nothing
    "schedules-targets-fill": (AUDIT, 405, 200),  # an empty form comes back with its errors
    "schedules-targets-copy-monday": (AUDIT, 405, 302),
    "schedules-targets-clear": (AUDIT, 405, 302),
    "schedules-targets-import": (AUDIT, 405, 200),  # no file: the form says so
    "cad-job-list": (AUDIT, 200, 405),
    "cad-job-detail": (AUDIT, 200, 405),
    "cad-selection": (CAD, 405, 400),  # an empty change cannot be read
    "cad-job-confirm": (CAD, 405, 302),  # back to the directory with a message
    "cad-job-start": (CAD, 405, 302),
    "cad-job-retry": (CAD, 405, 302),
    "cad-job-undo": (CAD, 200, 302),  # GET: what undoing would do; POST: back to it
    "upstream-status": (CAD, 200, 200),
    "csv-export-list": (CAD, 200, 405),  # the CSV export audit trail: Admins only
}


def all_patterns(resolver=None, prefix=""):
    """(key, pattern, route) for every URL pattern outside Django's admin (its own login)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            yield from all_patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield (pattern.name or route), pattern, route


PATTERNS = {key: (pattern, route) for key, pattern, route in all_patterns()}
ROLES = [SUPERVISOR, MANAGER, ADMIN, None]


@pytest.fixture
def samples(db, admin_user, settings, sso_settings):
    """An agent and a finished job to point the URLs at; DeepCall is unreachable on purpose;
    single sign-on goes to the test sandbox's identity provider."""
    from agents.models import CadJob
    from agents.services import cad_jobs as cad_service

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.DEEPCALL_SYNC_TTL = 10**9
    settings.DEEPCALL_API_URL = "http://127.0.0.1:9"  # the status check fails fast, as a 200
    create_agents(range(1, 4))
    job, _ = cad_service.cad_job_create(
        user=admin_user, action="enable", agent_ids=["2"], idempotency_key="sample-job"
    )
    CadJob.objects.filter(pk=job.pk).update(status=CadJob.Status.SUCCEEDED, succeeded=1)
    return {"agent_id": "2", "public_id": job.public_id, "user_id": admin_user.pk}


def url_for(key: str, samples: dict) -> str:
    pattern, route = PATTERNS[key]
    kwargs = {name: samples[name] for name in pattern.pattern.converters}
    if pattern.name:
        return reverse(pattern.name, kwargs=kwargs)
    raise AssertionError(f"give the pattern {route!r} a name, then list it in ACCESS")


def test_every_url_pattern_has_an_access_rule():
    assert set(PATTERNS) == set(ACCESS), "add new URLs to ACCESS (and decide who may use them)"


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(ACCESS))
def test_anonymous_users_are_sent_to_the_login_page(client, samples, key):
    roles, get_status, post_status = ACCESS[key]
    url = url_for(key, samples)
    for method, allowed_status in (("get", get_status), ("post", post_status)):
        response = getattr(client, method)(url)
        if allowed_status == 405:
            assert response.status_code == 405, (method, url)
        elif roles == ANYONE:
            assert response.status_code == allowed_status, (method, url)
        else:
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith(reverse("login")), (method, url)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", sorted(ACCESS))
def test_each_role_gets_exactly_its_status(client, django_user_model, samples, key, role):
    from tests.fixtures.users import make_user

    roles, get_status, post_status = ACCESS[key]
    url = url_for(key, samples)
    user = make_user(django_user_model, f"user-{role}", role)
    for method, allowed_status in (("get", get_status), ("post", post_status)):
        client.force_login(user)  # again: POST to logout/ ends the session
        response = getattr(client, method)(url)
        if roles == ANYONE or role in roles or allowed_status == 405:
            expected = allowed_status
        else:
            expected = 403
        assert response.status_code == expected, f"{role} {method.upper()} {url}"
