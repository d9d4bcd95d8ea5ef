"""The language files: what the code reads from them is there, well formed, and the same across languages."""

from __future__ import annotations

import re

import pytest

from veille.languages import (
    ANSWER_LANGS,
    any_of,
    caption_start,
    language,
    languages,
    merged,
    paper_heading,
    text_for,
    typography,
)

CODES = [lang.code for lang in languages()]


def test_the_three_languages_are_read_and_written() -> None:
    assert CODES == ["en", "fr", "ko"] and {"en", "fr", "ko"} == ANSWER_LANGS


@pytest.mark.parametrize("table", ["messages", "room"])
@pytest.mark.parametrize("code", CODES)
def test_every_language_has_every_message_english_has(code: str, table: str) -> None:
    english = language("en").table(table)  # type: ignore[union-attr]
    own = language(code).table(table)  # type: ignore[union-attr]
    assert english and set(own) == set(english)
    for key, template in own.items():  # no field the code does not fill in (Korean has no plural {s})
        assert set(re.findall(r"{(\w+)", template)) <= set(re.findall(r"{(\w+)", english[key])), key


@pytest.mark.parametrize("code", CODES)
def test_every_pattern_compiles_and_names_what_the_reader_reads(code: str) -> None:
    patterns = language(code).table("patterns")  # type: ignore[union-attr]
    for value in patterns.values():
        for pattern in value if isinstance(value, list) else [value] if isinstance(value, str) else []:
            re.compile(pattern)
    if "unit_question" in patterns:
        assert "noun" in re.compile(patterns["unit_question"]).groupindex
    if "counted_phrase" in patterns:
        assert "phrase" in re.compile(patterns["counted_phrase"]).groupindex


def test_counted_nouns_and_quantities_share_their_keys_across_languages() -> None:
    english = language("en")
    assert english is not None
    for table in ("counted", "quantities"):
        for code in CODES:
            assert set(language(code).table(table)) <= set(english.table(table)), (code, table)  # type: ignore[union-attr]
    assert merged("counted")["layers"] == ["layers", "couches", "레이어", "층"]


def test_combined_patterns_match_in_each_language() -> None:
    quantity = any_of("quantity_question", re.IGNORECASE)
    assert all(quantity.search(q) for q in ("How many heads?", "Combien de têtes ?", "헤드는 몇 개인가?"))
    assert not quantity.search("What does the paper propose?")
    assert caption_start().match("Tableau 3 : résultats") and caption_start().match("Figure 2: the model")
    assert paper_heading("reference_headings").match("References")


def test_messages_and_typography_fall_back_to_english() -> None:
    assert text_for("fr", "digest_title", topic="X") == "Digest : X"
    assert text_for("de", "digest_title", topic="X") == "Digest: X"  # no German file: English
    assert typography("fr", "colon") == " :" and typography("ko", "colon") == ":"
