"""Cooldowns for the actions that call DeepCall on demand (forced refresh, connection check).

One per action for the whole dashboard, not per user: what they protect is DeepCall's rate
limit, which every user and role shares. Kept in the cache, so every process sees them.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache

# A forced refresh pages through every agent; twice a minute is plenty (DEEPCALL_SYNC_TTL
# refreshes the copy every minute anyway).
REFRESH_COOLDOWN_S = 30
# The connection check is one small call; a few seconds stop a held-down key or a script.
CONNECTION_CHECK_COOLDOWN_S = 10


def cooldown_start(*, action: str, seconds: int) -> int:
    """Start the action's cooldown and return 0, or return the seconds left of a running one."""
    key = f"cooldown:{action}"
    now = time.time()
    if cache.add(key, now, timeout=seconds):
        return 0
    started = cache.get(key)
    if not isinstance(started, float):
        return 1
    return max(1, math.ceil(started + seconds - now))


def rate_limit_take(*, bucket: str, limit: int, window_s: int = 60) -> int:
    """Count one request against `bucket` (at most `limit` per `window_s`, in fixed windows):
    0 when it may go ahead, else the seconds until the window ends (for Retry-After)."""
    now = time.time()
    window = int(now // window_s)
    key = f"rate:{bucket}:{window}"
    cache.add(key, 0, timeout=window_s + 1)
    try:
        used = cache.incr(key)
    except ValueError:
        # The key expired (or the cache was cleared) between the two calls: a fresh window.
        cache.add(key, 1, timeout=window_s + 1)
        used = 1
    if used <= limit:
        return 0
    return max(1, math.ceil((window + 1) * window_s - now))
