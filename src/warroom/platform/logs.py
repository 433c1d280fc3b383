"""Structured (JSON lines) logging."""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson

# Record attributes that are not the caller's `extra` (uvicorn's color_message only repeats msg with ANSI codes).
_STD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update({k: v for k, v in record.__dict__.items() if k not in _STD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


# HTTP client libraries log every request with its full URL at INFO or DEBUG; a notification URL is a secret
# (a Slack or Teams webhook, an Apprise URL with a token), so they only get to say something when it is wrong.
LIBRARY_LEVELS = {name: logging.WARNING for name in ("httpx", "httpcore", "httpx2", "httpcore2", "urllib3",
                                                     "requests")}
# Apprise's plugins warn with what they were given and what they got back (ntfy: "Failed to send ntfy
# notification to topic '<topic>': <the receiver's error text>"), and a topic or token is the secret: silent.
# A failed Apprise delivery is recorded on the notification (DeliveryFailed) like any other.
LIBRARY_LEVELS["apprise"] = logging.CRITICAL + 1


def quiet_libraries() -> None:
    for name, level in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(level)


def setup(json_lines: bool = True, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries()
    import time

    logging.Formatter.converter = time.gmtime
