"""What this process keeps for alert intake between requests: the group-commit writer, cached keys, the
rate limiter, and the ingest path's short-lived caches. One per App (`app.alerts`), made by bootstrap."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warroom.alerts.catalog_view import CatalogView
    from warroom.alerts.rules import Integration
    from warroom.alerts.writer import Writer
    from warroom.incidents.priority import Matrix


@dataclass
class KeyCache:
    """Integrations by key hash (with the monotonic time the entry expires), and recently refused hashes."""
    found: dict[str, tuple[Integration, float]] = field(default_factory=dict)
    missing: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class RateLimiter:
    """Token bucket per integration: `rate` alerts per second, bursts up to one second's worth."""

    def __init__(self) -> None:
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, integ: Integration, n: int, now: float | None = None) -> float:
        """0 when `n` alerts may pass (and are counted); otherwise seconds to wait before retrying."""
        now = time.monotonic() if now is None else now
        rate = integ.config.rate_limit
        with self._lock:
            tokens, at = self._buckets.get(integ.id, (rate, now))
            tokens = min(rate, tokens + (now - at) * rate)
            if tokens >= n or (tokens >= rate and n > rate):  # a post larger than a burst passes when full
                self._buckets[integ.id] = (tokens - n, now)
                return 0.0
            self._buckets[integ.id] = (tokens, now)
            return max(0.0, (min(n, rate) - tokens) / rate)


@dataclass
class AlertsRuntime:
    writer: Writer | None = None  # started on first use (writer.writer_of)
    keys: KeyCache = field(default_factory=KeyCache)  # replaced (not cleared) when an integration changes
    limiter: RateLimiter = field(default_factory=RateLimiter)
    catalog: CatalogView | None = None  # reloaded when older than catalog_view.TTL_S
    matrix: tuple[Matrix, float] | None = None  # the priority matrix and when it expires (ingest.MATRIX_TTL_S)
    groups: dict[tuple[int, str], int] = field(default_factory=dict)  # (integration id, group key) -> open incident

    def forget_cached(self) -> None:
        """Drop what names database rows (groups, catalog) or settings (matrix): they may be gone."""
        self.groups = {}
        self.matrix = None
        self.catalog = None
