"""The ASGI entry point for servers: ``uvicorn regulars.api.asgi:api``."""

from regulars.api.app import create_api
from regulars.bootstrap import build

api = create_api(build())
