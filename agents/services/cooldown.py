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
