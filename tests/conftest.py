import os

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

from agents.tcp_no_delay import SendsWithoutDelay

# Playwright's sync API runs an event loop in the test thread; the test's own ORM calls are
# still synchronous and safe, so tell Django not to refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = [
    "tests.fixtures.users",
    "tests.fixtures.browser",
    "tests.fixtures.sandbox",
]


def pytest_collection_modifyitems(config, items):
    """Each pass runs what only it can tell (deselected, never skipped): the fault suite needs
    PostgreSQL, so the SQLite pass (`make test`) leaves it to `make test-scaleout`; the browser
    tests check the pages in Chromium, the same whatever the database, so the scale-out pass
    leaves them to `make test` (CI runs both; the two passes together would otherwise take 20
    minutes). `SCALEOUT_BROWSER=1` runs them on PostgreSQL too."""
    scaleout = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    if not scaleout:
        left_out = "faults"
    elif os.environ.get("SCALEOUT_BROWSER") != "1":
        left_out = "browser"
    else:
        return
    deselected = [item for item in items if item.get_closest_marker(left_out)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker(left_out)]


class LiveServer(SendsWithoutDelay, ThreadedWSGIServer):
    pass


@pytest.fixture(scope="session", autouse=True)
def _live_server_sends_without_delay():
    """pytest-django's `live_server` is Django's test server, which answers in several writes;
    sent without delay, a request to it does not wait 40 ms for the client's acknowledgement
    between them (agents/tcp_no_delay.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LiveServerThread, "server_class", LiveServer)
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, as a fresh deploy would (Redis db included)."""
    from django.core.cache import cache

    from agents.services.read_model_cache import forget_recent_entries

    cache.clear()
    forget_recent_entries()
    yield
    cache.clear()
    forget_recent_entries()


@pytest.fixture(autouse=True)
def _not_a_task_worker():
    """Each test starts as a plain process, not a task worker. A heartbeat recorded by an
    earlier test names this process's CAD claims after a worker whose row has since been
    rolled back, and another run would then take them over as a dead worker's."""
    from agents.services.task_workers import task_worker_forget

    task_worker_forget()
    yield
    task_worker_forget()


@pytest.fixture(autouse=True)
def _fast_static_files(settings):
    # Tests never collect static files; serve them from their sources (as DEBUG does).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production's PBKDF2 takes most of a second per password on a busy machine, and every
    # test makes users; what is tested here is who may log in, not the hash's cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
