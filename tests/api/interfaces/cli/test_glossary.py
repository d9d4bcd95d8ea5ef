"""`veille glossary` and `veille search --role`: what the archive glosses, and the parts searched on request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLES
from veille.interfaces.cli import cli

NOTE = """# 작은 모델을 위한 지식 증류

Skip to content

By Jane Doe · 5 min read

지식 증류(knowledge distillation)는 큰 교사 모델의 출력 분포를 작은 학생 모델이 따라 하도록 학습시키는 방법이다.
미세 조정(fine-tuning) 없이도 학생 모델은 교사 모델 정확도의 대부분을 유지하며, 추론 비용은 크게 줄어든다.
연구진은 온도를 높인 소프트 타깃이 클래스 사이의 유사성 정보를 전달한다고 설명한다.
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-glossary")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "증류-노트.md").write_text(NOTE, encoding="utf-8")
    home = root / "home"
    result = CliRunner().invoke(cli, ["ingest", str(SAMPLES), str(corpus)], env={"VEILLE_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return home


def run(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"VEILLE_HOME": str(home)})
    return result.exit_code, result.stdout, result.stderr


def test_the_glossary_lists_the_pairs_the_notes_give(home: Path) -> None:
    code, out, err = run(home, "glossary", "--json")
    pairs = {(e["term"], e["gloss"]) for e in json.loads(out)["entries"]}
    assert code == 0 and {("지식 증류", "knowledge distillation"), ("미세 조정", "fine-tuning")} <= pairs
    code, out, err = run(home, "glossary", "Knowledge Distillation")
    assert code == 0 and out.startswith("지식 증류") and "knowledge distillation" in out and "1 entries" in err
    code, out, err = run(home, "glossary", "apple pie")
    assert code == 0 and out == "" and "0 entries" in err


def test_front_matter_is_searched_on_request_only(home: Path) -> None:
    def roles(*args: str) -> set[str]:
        code, out, _ = run(home, "search", "Jane Doe 5 min read", "-k", "50", "--json", *args)
        assert code == 0
        return {h["role"] for h in json.loads(out)["hits"]}

    assert roles() == {"body"}
    assert roles("--role", "front_matter") == {"front_matter"}
    assert roles("--role", "body", "--role", "front_matter") == {"body", "front_matter"}
    code, _, err = run(home, "search", "x", "--role", "abstract")
    assert code == 2 and "abstract" in err


def test_an_english_query_finds_the_korean_note_through_its_glossary(home: Path) -> None:
    code, out, _ = run(home, "search", "knowledge distillation", "-k", "3", "--per-doc", "--json")
    assert code == 0 and Path(json.loads(out)["hits"][0]["source"]).name == "증류-노트.md"
