"""Pages for domains built alongside the web app (alerts, on-call, notifications), added only if present."""

from __future__ import annotations

from fastapi import FastAPI

from warroom.bootstrap import App


def install(api: FastAPI, app: App) -> None:
    return None
