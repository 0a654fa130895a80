"""Walk every URL pattern, named or not: each role gets exactly the status the table below says,
for GET and for POST alike, and a new URL without an entry fails the test.

Allowed roles get the view's own answer (the sample agent and job exist, forms are empty);
refused roles get 403 where the method is accepted and 405 where it is not; anonymous users
are sent to the login page wherever the method is accepted.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from agents.roles import ADMIN, MANAGER, SUPERVISOR
from agents.services.api_tokens import api_token_issue
from tests.fixtures.agents import create_agents

DIRECTORY = {SUPERVISOR, MANAGER, ADMIN}
AUDIT = {MANAGER, ADMIN}
CAD = {ADMIN}
ANYONE = "anyone"  # public pages: every role and anonymous users get the same answer
SIGNED_IN = {SUPERVISOR, MANAGER, ADMIN, None}  # one's own account: any signed-in user

# Pattern (its name, or its route when it has none) -> (roles allowed, GET status, POST status)
# for an allowed role. The issue's words: Supervisor (directory, schedules, export), Manager
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
    # One's own API tokens (admins: everyone's); revoking one that is not there, or not
    # theirs, sends them back to the list with a message.
    "api-tokens": (SIGNED_IN, 200, 200),  # an empty form comes back with its errors
    "api-token-revoke": (SIGNED_IN, 405, 302),
    # The API (/api/v1/) takes a token, never a session: every role, signed in on the pages
    # or not, gets 401 (tests/api/ checks what each role's token may do). Its schema and
    # docs are public; any other path under /api/ is a 404 problem.
    "api-v1:openapi-json": (ANYONE, 200, 405),
    "api-v1:openapi-view": (ANYONE, 200, 405),
    "api-v1:api-root": (ANYONE, 404, 404),
    "api-not-found": (ANYONE, 404, 404),
    "api-v1:agent_list": (ANYONE, 401, 405),
    "api-v1:agent_get": (ANYONE, 401, 405),
    "api-v1:cad_job_list": (ANYONE, 401, 401),
    "api-v1:cad_job_create": (ANYONE, 401, 401),
    "api-v1:cad_job_get": (ANYONE, 401, 405),
    "api-v1:cad_job_results": (ANYONE, 401, 405),
    "api-v1:cad_job_retry": (ANYONE, 405, 401),
    "api-v1:cad_job_undo_plan": (ANYONE, 401, 401),
    "api-v1:cad_job_undo": (ANYONE, 401, 401),
    "api-v1:change_list": (ANYONE, 401, 405),
    "api-v1:coverage_get": (ANYONE, 401, 405),
    "api-v1:targets_get": (ANYONE, 401, 405),
    "api-v1:targets_put": (ANYONE, 401, 405),
}


def all_patterns(resolver=None, prefix="", namespace=""):
    """(key, pattern, route) for every URL pattern outside Django's admin (its own login); a
    namespaced pattern's key is its full name ("api-v1:agent_list"), as `reverse` takes it."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from all_patterns(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}{pattern.name}" if pattern.name else route), pattern, route


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
    token = api_token_issue(user=admin_user, name="sample").record
    return {
        "agent_id": "2",
        "public_id": job.public_id,
        "job_id": job.public_id,
        "user_id": admin_user.pk,
        "token_id": token.pk,
    }


def url_for(key: str, samples: dict) -> str:
    pattern, route = PATTERNS[key]
    kwargs = {name: samples[name] for name in pattern.pattern.converters}
    if pattern.name:
        return reverse(key, kwargs=kwargs)
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
