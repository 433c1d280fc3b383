"""Settings from the environment (WARROOM_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# Apprise services allowed by default: chat and paging services over HTTPS (docs/outbound.md).
APPRISE_SCHEMES = ("slack,discord,msteams,mmosts,rockets,gchat,tgram,ntfys,pover,matrixs,zulip,opsgenie,pagerduty,"
                   "wxteams,webex")


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: os.environ.get(
        "WARROOM_DATABASE_URL", f"sqlite:///{Path.cwd() / 'var' / 'warroom.db'}"))
    base_url: str = field(default_factory=lambda: os.environ.get("WARROOM_BASE_URL", "http://127.0.0.1:8000"))
    secret_key: str = field(default_factory=lambda: os.environ.get("WARROOM_SECRET_KEY", ""))
    tick_seconds: float = field(default_factory=lambda: float(os.environ.get("WARROOM_TICK_SECONDS", "0.2")))
    embedded_worker: bool = field(default_factory=lambda: _bool("WARROOM_EMBEDDED_WORKER", True))
    secure_cookies: bool = field(default_factory=lambda: _bool("WARROOM_SECURE_COOKIES", False))
    log_json: bool = field(default_factory=lambda: _bool("WARROOM_LOG_JSON", True))
    # Threads serving sync routes. Few is faster under load: every extra thread in a DB round trip is
    # another GIL hand-off, and the embedded worker thread must still get its share (docs/bench-notify.md).
    gc_tuning: bool = field(default_factory=lambda: _bool("WARROOM_GC_TUNING", True))  # web/app.py _tune_gc
    api_threads: int = field(default_factory=lambda: int(os.environ.get("WARROOM_API_THREADS", "8")))
    # Largest request body outside the alert intake (which has its own limits): 413 past it, before parsing.
    max_body_bytes: int = field(default_factory=lambda: int(os.environ.get("WARROOM_MAX_BODY_BYTES", "1048576")))
    # Password checks (argon2: ~0.3 CPU-s, 64 MiB each) run on their own pool: this many at once, this many
    # more waiting; a login past that gets 429 at once (auth/passwords.py).
    password_threads: int = field(default_factory=lambda: int(os.environ.get("WARROOM_PASSWORD_THREADS", "2")))
    password_queue: int = field(default_factory=lambda: int(os.environ.get("WARROOM_PASSWORD_QUEUE", "4")))
    # Reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For names the client (web/proxies.py).
    trusted_proxies: str = field(default_factory=lambda: os.environ.get("WARROOM_TRUSTED_PROXIES", ""))
    # The longest schedule override (oncall/service.py): a longer absence is a change of the rotation.
    max_override_days: int = field(default_factory=lambda: int(os.environ.get("WARROOM_MAX_OVERRIDE_DAYS", "31")))
    # Where notifications may go besides public addresses: comma-separated CIDRs, addresses or host names,
    # each with an optional :port (platform/outbound.py).
    outbound_allow: str = field(default_factory=lambda: os.environ.get("WARROOM_OUTBOUND_ALLOW", ""))
    apprise_schemes: str = field(default_factory=lambda: os.environ.get("WARROOM_APPRISE_SCHEMES", APPRISE_SCHEMES))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
