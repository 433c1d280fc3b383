"""E-mail over SMTP: plain, STARTTLS or implicit TLS (smtplib). Configured from WARROOM_SMTP_* variables."""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from warroom.notifications.render import body, headline


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 25
    mode: str = "plain"  # plain | starttls | tls
    username: str = ""
    password: str = ""
    sender: str = "warroom@localhost"
    timeout: float = 10.0
    verify: bool = True  # verify the server certificate (starttls / tls)
    cafile: str = ""  # extra CA bundle, e.g. for a private mail relay

    @classmethod
    def from_env(cls) -> SmtpConfig:
        env = os.environ.get
        return cls(env("WARROOM_SMTP_HOST", "127.0.0.1"), int(env("WARROOM_SMTP_PORT", "25")),
                   env("WARROOM_SMTP_MODE", "plain"), env("WARROOM_SMTP_USERNAME", ""),
                   env("WARROOM_SMTP_PASSWORD", ""), env("WARROOM_SMTP_FROM", "warroom@localhost"),
                   float(env("WARROOM_SMTP_TIMEOUT", "10")), env("WARROOM_SMTP_VERIFY", "1") != "0",
                   env("WARROOM_SMTP_CAFILE", ""))


def message(row: dict[str, Any], sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = row["address"]
    msg["Subject"] = headline(row["payload"])
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{row['key']}@warroom>"  # stable across retries: mail clients dedupe on it
    msg["X-Warroom-Idempotency-Key"] = row["key"]
    msg.set_content(body(row["payload"]))
    return msg


class EmailChannel:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def __call__(self, row: dict[str, Any], secret: str) -> None:
        c = self.config
        ctx = ssl.create_default_context(cafile=c.cafile or None)
        if not c.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if c.mode == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=ctx)
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        with smtp:
            if c.mode == "starttls":
                smtp.starttls(context=ctx)
            if c.username:
                smtp.login(c.username, c.password)
            smtp.send_message(message(row, c.sender))
