"""The answer page's message catalogues: every language has every key and placeholder."""

from __future__ import annotations

import re

from regulars.web.messages import LANGUAGES, Messages, catalogue


def test_every_catalogue_has_the_same_keys_and_placeholders() -> None:
    reference = catalogue("en")
    for language in LANGUAGES:
        texts = catalogue(language)
        assert set(texts) == set(reference), language
        for key, text in texts.items():
            placeholders = set(re.findall(r"{(\w+)}", text))
            assert placeholders == set(re.findall(r"{(\w+)}", reference[key])), (language, key)
            assert text.strip() or key == "", (language, key)


def test_messages_fill_placeholders_and_fall_back_to_korean() -> None:
    assert Messages("en")("csat_employee", employee="Mina") == "With the service of Mina"
    assert Messages("ko")("csat_employee", employee="민아") == "민아 직원의 서비스"
    assert Messages("fr").language == "ko"
    assert Messages("ko")("answer_yes") == "예"
