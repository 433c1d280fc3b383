"""ASGI entry point for uvicorn: `uvicorn warroom.web.asgi:app`."""

import logging

from warroom.platform import logs
from warroom.platform.settings import Settings
from warroom.web.app import create_app

if not logging.getLogger().handlers:  # a child of `warroom serve --workers N` starts with logging unset
    logs.setup(Settings().log_json)

app = create_app()
