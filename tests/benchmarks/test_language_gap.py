"""The translation-gap instrument pairs each sentence with its translation and measures both directions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.language_gap import measure, pairs, table
from veille.evaluation import load_beir
from veille.index.embedding.fake import FakeEmbedder


def _tatoeba(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    english = ["The cat sleeps on the mat.", "We agree with you.", "He is always short of money."]
    french = ["Le chat dort sur le tapis.", "Nous sommes de votre avis.", "Il est toujours à court d'argent."]
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": f"en{i}", "text": t}) + "\n"
                                                  for i, t in enumerate(english)), encoding="utf-8")
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": f"fr{i}", "title": "", "text": t}) + "\n"
                                                 for i, t in reversed(list(enumerate(french)))), encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"en{i}\tfr{i}\t1\n" for i in range(3)), encoding="utf-8")
    return folder


def test_each_sentence_meets_its_translation_and_itself(tmp_path: Path) -> None:
    found = pairs(load_beir(_tatoeba(tmp_path / "tatoeba-en-fr")), 10)
    assert ("We agree with you.", "Nous sommes de votre avis.") in found and len(found) == 3
    rows = {(r["question"], r["sentence"]): r for r in measure(FakeEmbedder(), found, "fr")}
    assert set(rows) == {("en", "en"), ("en", "fr"), ("fr", "en"), ("fr", "fr")}
    # the fake embeds queries and passages alike: a sentence against itself is 1, its own language gap 0
    assert rows["en", "en"]["relevant"] == pytest.approx(1.0) and rows["en", "en"]["gap"] == pytest.approx(0.0)
    assert 0.0 < float(rows["en", "fr"]["gap"]) < 1.0  # trigrams of a translation share little
    assert float(rows["en", "en"]["unrelated"]) < float(rows["en", "en"]["relevant"])
    assert "| en | fr | 3 |" in table(list(rows.values()))
