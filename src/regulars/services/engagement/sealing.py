"""Secrets kept encrypted at rest, with a key derived from ``REGULARS_SECRET_KEY``.

A webhook's signing secret must be readable again (the worker signs with it), so it cannot be
hashed like an API key; it is sealed with Fernet (AES-128-CBC + HMAC-SHA256, from
``cryptography``) under a key derived by HKDF-SHA256 from the operator's secret key, with a
purpose label so the same secret key can serve other purposes without reuse. Changing
``REGULARS_SECRET_KEY`` makes sealed secrets unreadable: rotate every endpoint afterwards.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

WEBHOOK_SECRETS = b"regulars/webhook-secrets/v1"


class UnreadableSecret(ValueError):
    """A sealed value does not open with the current key (REGULARS_SECRET_KEY changed?)."""


class Sealer:
    """Seals and opens short secrets under a key derived from ``secret_key`` for ``purpose``.

    >>> sealer = Sealer("an operator's secret key")
    >>> sealed = sealer.seal("whsec_abc")
    >>> "whsec_" in sealed, sealer.open(sealed)
    (False, 'whsec_abc')
    """

    def __init__(self, secret_key: str, purpose: bytes = WEBHOOK_SECRETS) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self._open = lru_cache(maxsize=1024)(self._open_uncached)

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._open(sealed)

    def _open_uncached(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise UnreadableSecret(
                "a stored secret cannot be decrypted with the current REGULARS_SECRET_KEY; "
                "rotate the endpoint's secret"
            ) from None
