"""ASGI entry point for uvicorn: `uvicorn warroom.web.asgi:app`."""

from warroom.web.app import create_app

app = create_app()
