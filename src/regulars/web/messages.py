"""Message catalogues: the words of the pages, one YAML file per language in ``locales/``.

Texts never live in code: a page asks for a key, and :class:`Messages` fills in its
``{placeholders}``. Korean and English to start; a new language is a new file with the same
keys (a test checks that every catalogue has every key).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LOCALES = Path(__file__).with_name("locales")
LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"


@cache
def catalogue(language: str, locales: Path = LOCALES) -> dict[str, str]:
    """The messages of ``language`` (a file ``<locales>/<language>.yaml``; the answer page's
    by default, the console's in ``console/locales``)."""
    loaded: dict[str, Any] = yaml.safe_load((locales / f"{language}.yaml").read_text("utf-8"))
    return {str(k): str(v) for k, v in loaded.items()}


class Messages:
    """The messages of one language, callable as ``t("key", name=value)``."""

    def __init__(self, language: str, locales: Path = LOCALES) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._texts = catalogue(self.language, locales)

    def __call__(self, key: str, **values: Any) -> str:
        text = self._texts.get(key)
        if text is None:
            return key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._texts
