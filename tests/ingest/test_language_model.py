"""ingest.lang loads py3langid's model from a decompressed copy, with the same rankings."""

from __future__ import annotations

from pathlib import Path

import py3langid
import pytest
from py3langid import langid

from veille.ingest import language as lang

TEXTS = ["Quelle mémoire le cache KV occupe-t-il pendant le décodage ?", "How large is the KV cache of a 7B model?",
         "Die Ergebnisse zeigen eine deutliche Verbesserung.", "La memoria cache del modello cresce con il contesto."]


def test_the_decompressed_copy_ranks_as_py3langid_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(langid, "IDENTIFIER", None)
    assert lang.detect_language(TEXTS[0]) == "fr"
    copies = list((tmp_path / "veille" / "langid").glob("py3langid-*.npz"))
    assert len(copies) == 1 and langid.IDENTIFIER is not None
    assert [py3langid.rank(t)[:3] for t in TEXTS] == [own.rank(t)[:3] for t in TEXTS]
    monkeypatch.setattr(langid, "IDENTIFIER", None)  # a later process reads the copy
    lang._load_identifier()
    assert [lang.detect_language(t) for t in TEXTS] == ["fr", "en", "de", "it"]


def test_a_broken_copy_leaves_py3langid_to_load_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(langid, "IDENTIFIER", None)
    folder = tmp_path / "veille" / "langid"
    folder.mkdir(parents=True)
    (folder / f"py3langid-{lang.version('py3langid')}.npz").write_bytes(b"not an npz")
    assert lang.detect_language(TEXTS[1]) == "en"
