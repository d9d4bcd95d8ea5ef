from __future__ import annotations

import pytest

from veille.ingest.arxiv_ids import arxiv_id_from_filename, arxiv_ids_in_text, arxiv_stamp, parse_arxiv_id
from veille.ingest.language import detect_language, dominant_languages


@pytest.mark.parametrize(("text", "lang"), [
    ("The dominant sequence transduction models are based on recurrent networks.", "en"),
    ("Le papier démontre que le passage dans le FFN crée une matrice de poids.", "fr"),
    ("오픈 소스 코드 모델 발전을 위해 DeepSeek-Coder-V2 시리즈가 도입되었습니다.", "ko"),
    ("나는 그의 모자가 싫다.", "ko"),
    ("GPT-4o", "und"),
])
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_dominant_languages_drop_stray_minorities() -> None:
    assert dominant_languages([("fr", 900), ("en", 300), ("de", 10), ("und", 999)]) == ["fr", "en"]


@pytest.mark.parametrize(("value", "expected"), [
    ("1706.03762", ("1706.03762", None)),
    ("arXiv:1706.03762v5", ("1706.03762", "v5")),
    ("2406.11931v12", ("2406.11931", "v12")),
    ("hep-th/9901001", ("hep-th/9901001", None)),
    ("math.GT/0309136v2", ("math.GT/0309136", "v2")),
    ("abc", None),
    ("1706.037", None),
])
def test_parse_arxiv_id(value: str, expected: tuple[str, str | None] | None) -> None:
    assert parse_arxiv_id(value) == expected


def test_ids_in_names_text_and_stamps() -> None:
    assert arxiv_id_from_filename("2205.14135v2.pdf") == "2205.14135"
    assert arxiv_id_from_filename("hep-th_9901001v1.pdf") == "hep-th/9901001"
    assert arxiv_id_from_filename("acl-2020.acl-main.447.pdf") is None
    text = "see https://arxiv.org/abs/2406.11931 and arxiv.org/pdf/2005.11401v4, also arXiv:1706.03762"
    assert arxiv_ids_in_text(text) == ["2406.11931", "2005.11401", "1706.03762"]
    assert arxiv_stamp("arXiv:1706.03762v5  [cs.CL]  6 Dec 2017") == ("1706.03762", "v5")
