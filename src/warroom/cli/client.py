"""A small HTTP client for the API: the CLI works the same against a local or a remote server.

Server and token come from --url/--token, else WARROOM_URL/WARROOM_TOKEN, else the config file
($WARROOM_CONFIG or ~/.config/warroom/cli.toml) with `url = "..."` and `token = "..."`."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import httpx

from warroom.cli.output import die


def config_path() -> Path:
    return Path(os.environ.get("WARROOM_CONFIG", Path.home() / ".config" / "warroom" / "cli.toml"))


def _from_file() -> dict[str, str]:
    p = config_path()
    if not p.exists():
        return {}
    try:
        return tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        die(f"{p}: {exc}")
        return {}


class Client:
    def __init__(self, url: str | None, token: str | None) -> None:
        cfg = _from_file()
        self.url = (url or os.environ.get("WARROOM_URL") or cfg.get("url") or "http://127.0.0.1:8000").rstrip("/")
        self.token = token or os.environ.get("WARROOM_TOKEN") or cfg.get("token")
        if not self.token:
            die("no API token: pass --token, set WARROOM_TOKEN, or put token = \"...\" in " + str(config_path()))
        self.http = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)

    def call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            r = self.http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            die(f"cannot reach {self.url}: {exc}")
        if r.status_code >= 400:
            try:
                body = r.json()
                msg = body.get("message") or body
            except ValueError:
                msg = r.text.strip() or r.reason_phrase
            die(f"{msg} (HTTP {r.status_code})")
        return r.json() if r.content else None
