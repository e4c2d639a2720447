"""The HTTP API (FastAPI): one router module per resource; OpenAPI at ``/docs``."""

from regulars.api.app import create_api

__all__ = ["create_api"]
