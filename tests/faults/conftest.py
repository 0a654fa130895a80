import os

import pytest

from tests.fixtures.deployment import AdminBrowser, Deployment


@pytest.fixture(scope="package")
def deployment():
    """One production deployment (Procfile, PostgreSQL, its own Redis) for every fault test."""
    running = Deployment(os.environ["DATABASE_URL"])
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="package")
def admin(deployment):
    return AdminBrowser(deployment)


@pytest.fixture
def healthy(deployment):
    """Each test starts with every part up and DeepCall answering as usual."""
    if deployment.redis._process is None:
        deployment.redis.start()
    deployment.deepcall_faults()
    if deployment.worker is None or deployment.worker.poll() is not None:
        deployment.start_worker()
    return deployment
