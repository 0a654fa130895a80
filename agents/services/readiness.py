"""Whether this deployment can do its work, for a load balancer or an orchestrator (`/readyz/`).

Ready means the database answers and at least one task worker is alive (so a CAD job started
now will run). The cache is reported but never makes the service unready: without Redis every
page still answers, from each process's memory (dashboard/cache.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import DatabaseError

from agents.services.home import database_ok
from agents.services.task_workers import task_workers_alive

CACHE_PROBE_KEY = "readyz:probe"


@dataclass(frozen=True)
class Readiness:
    database: bool
    cache_shared: bool  # False: Redis is away and each process caches on its own
    workers_alive: int

    @property
    def ready(self) -> bool:
        return self.database and self.workers_alive > 0

    def as_dict(self) -> dict:
        return {
            "status": "ready" if self.ready else "not ready",
            "database": "ok" if self.database else "unavailable",
            "cache": "ok" if self.cache_shared else "degraded",
            "workers": self.workers_alive,
        }


def readiness_check() -> Readiness:
    """Ask the database, the cache and the workers' heartbeats."""
    database = database_ok()
    workers = 0
    if database:
        try:
            workers = task_workers_alive().count()
        except DatabaseError:
            database = False
    cache.set(CACHE_PROBE_KEY, 1, 10)
    cache_shared = not getattr(cache, "redis_is_away", False)
    return Readiness(database=database, cache_shared=cache_shared, workers_alive=workers)
