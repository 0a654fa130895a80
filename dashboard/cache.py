"""Redis as a helper, never a single point of failure: Django's Redis cache with a way out.

Everything the dashboard keeps in Redis can be rebuilt (counts and rendered fragments keyed by
the read model's version, cooldowns, export slots, the sync's request lock); sessions and
log-in throttling live in the database. So when Redis does not answer (stopped, restarted,
unreachable), `FallbackRedisCache` carries on with a local-memory cache of this process rather
than raising:

- reads and writes go to the process's own memory: pages answer (slower, as each process
  computes its own counts), limits are enforced per process instead of across all of them;
  none becomes unlimited (README, "While Redis is away", says what each one does);
- the first failure logs one warning for the outage; Redis is then left alone for
  RETRY_AFTER_S and tried again by the next call after that, so a request never waits on a
  dead server twice in a row; its first answer logs that Redis is back and caching is shared
  again, by itself;
- `delete` and `clear` also act on the local copy, so whatever was released during the outage
  (an export slot) is released in both places.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("dashboard.cache")

# After a failure, calls skip Redis this long: one refused connection (or one timeout) per
# process per interval, rather than one per cache call of every request.
RETRY_AFTER_S = 5.0
# Redis on the same network answers in a millisecond; a request should not wait on one that
# does not. Passed to redis-py by settings.CACHES.
SOCKET_CONNECT_TIMEOUT_S = 0.5
SOCKET_TIMEOUT_S = 1.0


@dataclass
class _Outage:
    """Whether one Redis server is taken to be away, shared by the threads of a process."""

    down_since: float | None = None
    retry_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def skip_redis(self) -> bool:
        return self.down_since is not None and time.monotonic() < self.retry_at

    def failed(self, location: str, error: RedisError) -> None:
        with self.lock:
            now = time.monotonic()
            self.retry_at = now + RETRY_AFTER_S
            if self.down_since is None:
                self.down_since = now
                logger.warning(
                    "Redis at %s does not answer (%s): caching in this process's memory until "
                    "it is back; limits are kept per process meanwhile.",
                    location,
                    type(error).__name__,
                )

    def answered(self, location: str) -> None:
        if self.down_since is None:
            return
        with self.lock:
            if self.down_since is None:
                return
            away = time.monotonic() - self.down_since
            self.down_since = None
            logger.warning(
                "Redis at %s answers again after %.0f s: caching is shared again.", location, away
            )


_outages: dict[str, _Outage] = {}
_outages_lock = threading.Lock()


def forget_outages() -> None:
    """Forget every outage this process noted: the next call tries Redis again at once (a
    test that starts its own Redis server on a location an earlier test saw down)."""
    with _outages_lock:
        _outages.clear()


def _outage_of(location: str) -> _Outage:
    with _outages_lock:
        return _outages.setdefault(location, _Outage())


def _falls_back(name: str):
    def method(self, *args, **kwargs):
        if not self._outage.skip_redis():
            try:
                result = getattr(super(FallbackRedisCache, self), name)(*args, **kwargs)
            except RedisError as error:
                self._outage.failed(self._location, error)
            else:
                self._outage.answered(self._location)
                return result
        return getattr(self.local, name)(*args, **kwargs)

    method.__name__ = name
    return method


class FallbackRedisCache(RedisCache):
    """Django's RedisCache; this process's memory while Redis does not answer (see above)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        self._outage = _outage_of(self._location)
        # LocMemCache shares its store by name: every thread of the process sees one fallback.
        self.local = LocMemCache(
            f"redis-fallback:{self._location}",
            {key: value for key, value in params.items() if key not in ("OPTIONS", "BACKEND")},
        )

    @property
    def redis_is_away(self) -> bool:
        """True while this process takes Redis to be away (its fallback in use)."""
        return self._outage.down_since is not None

    add = _falls_back("add")
    get = _falls_back("get")
    set = _falls_back("set")
    touch = _falls_back("touch")
    get_many = _falls_back("get_many")
    has_key = _falls_back("has_key")
    incr = _falls_back("incr")
    set_many = _falls_back("set_many")
    delete_many = _falls_back("delete_many")
    _clear = _falls_back("clear")
    _delete = _falls_back("delete")

    def clear(self):
        self.local.clear()
        return self._clear()

    def delete(self, key, version=None):
        # Released in both places: a slot or lock taken while Redis was away lives locally.
        deleted_locally = self.local.delete(key, version=version)
        return self._delete(key, version=version) or deleted_locally
