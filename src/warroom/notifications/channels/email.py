"""E-mail over SMTP: plain, STARTTLS or implicit TLS (smtplib). Configured from WARROOM_SMTP_* variables."""

from __future__ import annotations

import os
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from warroom.notifications.channels.email_headers import NAME_MAX, POLICY, SUBJECT_MAX, TITLE_MAX, header_text
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
    configured: bool = True  # False: WARROOM_SMTP_HOST was not set, the 127.0.0.1:25 default is a guess

    @classmethod
    def from_env(cls) -> SmtpConfig:
        env = os.environ.get
        return cls(env("WARROOM_SMTP_HOST", "127.0.0.1"), int(env("WARROOM_SMTP_PORT", "25")),
                   env("WARROOM_SMTP_MODE", "plain"), env("WARROOM_SMTP_USERNAME", ""),
                   env("WARROOM_SMTP_PASSWORD", ""), env("WARROOM_SMTP_FROM", "warroom@localhost"),
                   float(env("WARROOM_SMTP_TIMEOUT", "10")), env("WARROOM_SMTP_VERIFY", "1") != "0",
                   env("WARROOM_SMTP_CAFILE", ""), bool(env("WARROOM_SMTP_HOST")))


def subject_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with its incident title as a Subject can carry it (the body repeats the Subject)."""
    inc = payload.get("incident")
    if not isinstance(inc, dict) or not isinstance(inc.get("title"), str):
        return payload
    return {**payload, "incident": {**inc, "title": header_text(inc["title"], TITLE_MAX)}}


def subject(payload: dict[str, Any]) -> str:
    return header_text(headline(subject_payload(payload)), SUBJECT_MAX)


def _mailbox(value: str) -> Address | str:
    """A configured sender such as `Équipe SRE <sre@example.org>`, its display name made header-safe."""
    value = value.strip()
    if not (value.endswith(">") and "<" in value):
        return value
    name, _, addr = value[:-1].rpartition("<")
    name = header_text(name.strip().strip('"').strip(), NAME_MAX)
    return Address(display_name=name, addr_spec=addr.strip())


def message(row: dict[str, Any], sender: str) -> EmailMessage:
    """The e-mail for one outbox row. Delivered whatever the incident's title holds (line breaks from an alert's
    description, control characters, right-to-left text, any length): header text goes through `header_text`."""
    payload = subject_payload(row["payload"])
    msg = EmailMessage(policy=POLICY)
    msg["From"] = _mailbox(sender)
    msg["To"] = row["address"]
    msg["Subject"] = subject(row["payload"])
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{row['key']}@warroom>"  # stable across retries: mail clients dedupe on it
    msg["X-Warroom-Idempotency-Key"] = row["key"]
    msg.set_content(body(payload))
    return msg


IDLE_SECONDS = 30.0  # a connection unused this long is closed and a new one opened (relays drop idle ones)


class EmailChannel:
    """Sends over one SMTP connection per sending thread, kept open between messages: a new connection per page
    (connect, EHLO, STARTTLS, login, QUIT) cost about as much CPU as the message itself. A connection the relay
    has closed meanwhile is replaced once, at once; a message the relay refused is not sent again here."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._ctx: ssl.SSLContext | None = None
        self._local = threading.local()

    def _tls(self) -> ssl.SSLContext:
        """Built once: loading the CA store costs tens of milliseconds."""
        if self._ctx is None:
            c = self.config
            ctx = ssl.create_default_context(cafile=c.cafile or None)
            if not c.verify:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            self._ctx = ctx
        return self._ctx

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.mode == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._tls())
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        try:
            if c.mode == "starttls":
                smtp.starttls(context=self._tls())
            if c.username:
                smtp.login(c.username, c.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _kept(self) -> smtplib.SMTP | None:
        """This thread's open connection, unless it sat idle too long (then it is closed)."""
        smtp, used_at = getattr(self._local, "conn", (None, 0.0))
        if smtp is not None and time.monotonic() - used_at > IDLE_SECONDS:
            self._drop(smtp)
            smtp = None
        return smtp

    def _drop(self, smtp: smtplib.SMTP) -> None:
        self._local.conn = (None, 0.0)
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def __call__(self, row: dict[str, Any], secret: str) -> None:
        msg = message(row, self.config.sender)
        smtp = self._kept()
        if smtp is not None:
            try:
                smtp.send_message(msg)
                self._local.conn = (smtp, time.monotonic())
                return
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self._drop(smtp)  # the relay closed it meanwhile: a new connection, below
            except BaseException:
                self._drop(smtp)
                raise
        smtp = self._connect()
        try:
            smtp.send_message(msg)
        except BaseException:
            self._drop(smtp)
            raise
        self._local.conn = (smtp, time.monotonic())
