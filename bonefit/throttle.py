"""Counting tries in Django's cache, so that limits hold across workers and hosts.

A limit allows `count` events per fixed window of `seconds`. Counters are keyed by a hash
of what they count (an address, an e-mail, a user name), so the cache never holds those in
clear. With Redis as the cache every worker and host shares the counters; with the
per-process memory cache each worker counts on its own (see docs/security.md).

Usage: `limit.exceeded(key)` before doing the thing, `limit.hit(key)` when it happened,
`limit.reset(key)` when a success should wipe the slate.
"""

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


def now() -> float:
    """The clock the windows are cut from; tests move it instead of sleeping."""
    return time.time()


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, round(self.seconds / 60))

    def _cache_key(self, key: str) -> str:
        window = int(now() // self.seconds)
        return f"throttle:{self.name}:{window}:{_digest(key.lower())}"

    def used(self, key: str) -> int:
        return cache.get(self._cache_key(key), 0)

    def exceeded(self, key: str) -> bool:
        return self.used(key) >= self.count

    def hit(self, key: str) -> int:
        """Count one event; return how many the window now holds."""
        cache_key = self._cache_key(key)
        # add() then incr(): both atomic on Redis, so two workers never lose a count.
        cache.add(cache_key, 0, timeout=self.seconds + 60)
        try:
            return cache.incr(cache_key)
        except ValueError:  # evicted between add() and incr()
            cache.set(cache_key, 1, timeout=self.seconds + 60)
            return 1

    def reset(self, key: str) -> None:
        cache.delete(self._cache_key(key))
