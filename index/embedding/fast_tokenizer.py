"""The model's Unigram tokenizer for a process that only embeds a few queries, loaded in a fraction of a second.

`tokenizers` builds a trie of the model's 250k pieces each time it loads `tokenizer.json`: 1.3 s here,
a third of a cold `veille search`, spent to tokenize one query of ~30 tokens. This module does the same
steps the file describes (special tokens split out, the normaliser's Replace/NFKC sequence, Metaspace,
Viterbi over piece scores with unknown characters fused, the template's <s> … </s>, truncation) from the
vocabulary saved once with `marshal` (0.25 s to load); the Viterbi over a dictionary costs well under a
millisecond for a query. It serves only files of exactly that shape, and only once it has given the same
ids as `tokenizers` on a set of awkward texts (checked when the saved vocabulary is made); otherwise the
embedder keeps `tokenizers`. Passages always go through `tokenizers` (batched, faster per token).
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
FORMAT = 1
UNK_PENALTY = 10.0  # what tokenizers' Unigram subtracts from the lowest piece score for an unknown character
# Texts on which both tokenizers must agree before this one is used: three scripts, spacing and control
# characters, a character outside the vocabulary, special tokens written out, a combining accent, a long word.
CHECKS = [
    "query: Quelle mémoire le cache KV occupe-t-il ?", "passage: 최대 문맥 길이를 16K에서 128K 토큰으로 확장",
    "How does FlashAttention-2 reduce HBM reads?", "  leading,\ttabs\nand  double  spaces  ", "e\u0301t\u00e9 ﬁ ①",
    "<s>already</s> a <mask> token<pad>", "emoji 🦙🦙 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200b zero\ufeffwidth", "x" * 300, "",
    "日本語のテキストと中文文本", "\x07bell\x1fand\x7fdel", "▁already▁marked", "a" + "\u0300" * 5,
]


class QuickUnigram:
    """Token ids of short texts, as the `tokenizers` file this was made from gives them."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.vocab: dict[str, int] = {p: i for i, p in enumerate(spec["pieces"])}
        self.scores: list[float] = spec["scores"]
        self.unk_id: int = spec["unk_id"]
        self.unk_score = min(self.scores) - UNK_PENALTY
        self.longest = max(len(p) for p in spec["pieces"])
        self.steps = [(kind, re.compile(pattern) if pattern else None, content)
                      for kind, pattern, content in spec["normalizer"]]
        self.mark: str = spec["replacement"]
        self.bos, self.eos = spec["bos"], spec["eos"]
        self.added: dict[str, int] = spec["added"]
        names = sorted(self.added, key=len, reverse=True)  # longest first, as tokenizers matches them
        self._added_re = re.compile("(" + "|".join(map(re.escape, names)) + ")") if names else None

    def ids(self, text: str, max_tokens: int = 512) -> list[int]:
        """<s>, the text's ids truncated to fit, </s>."""
        out: list[int] = []
        for segment in self._added_re.split(text) if self._added_re else [text]:
            if segment in self.added:
                out.append(self.added[segment])
            elif segment:
                out.extend(self._segment(segment))
        return [self.bos, *out[:max_tokens - 2], self.eos]

    def _segment(self, text: str) -> list[int]:
        for kind, pattern, content in self.steps:
            text = unicodedata.normalize("NFKC", text) if kind == "NFKC" else pattern.sub(content, text)  # type: ignore[union-attr]
        if not text:
            return []
        text = text.replace(" ", self.mark)
        if not text.startswith(self.mark):
            text = self.mark + text
        words = [self.mark + w for w in text[len(self.mark):].split(self.mark)]  # each mark opens a word
        return [i for word in words for i in self._viterbi(word)]

    def _viterbi(self, word: str) -> list[int]:
        """The best-scoring split, ties to the earliest start (tokenizers' order); unknown runs fused."""
        n, inf = len(word), float("-inf")
        best: list[tuple[float, int, int]] = [(0.0, -1, -1)] + [(inf, -1, -1)] * n
        for start in range(n):
            base, single = best[start][0], False
            for end in range(start + 1, min(n, start + self.longest) + 1):
                pid = self.vocab.get(word[start:end])
                if pid is None:
                    continue
                single = single or end == start + 1
                if base + self.scores[pid] > best[end][0]:
                    best[end] = (base + self.scores[pid], start, pid)
            if not single and base + self.unk_score > best[start + 1][0]:
                best[start + 1] = (base + self.unk_score, start, self.unk_id)
        pieces: list[str] = []
        unknown, end = "", n
        while end > 0:
            _, start, pid = best[end]
            if pid == self.unk_id:
                unknown = word[start:end] + unknown
            else:
                if unknown:
                    pieces.append(unknown)
                    unknown = ""
                pieces.append(word[start:end])
            end = start
        if unknown:
            pieces.append(unknown)
        return [self.vocab.get(p, self.unk_id) for p in reversed(pieces)]


def spec_of(tokenizer_json: Path) -> dict[str, Any] | None:
    """What QuickUnigram needs from a tokenizer file, or None if the file holds other steps."""
    t = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    model, pre, post = t.get("model") or {}, t.get("pre_tokenizer") or {}, t.get("post_processor") or {}
    norms = (t.get("normalizer") or {}).get("normalizers", [])
    single = post.get("single", [])
    added = t.get("added_tokens", [])
    shape_ok = (model.get("type") == "Unigram" and not model.get("byte_fallback")
                and (t.get("normalizer") or {}).get("type") == "Sequence"
                and all(n.get("type") == "NFKC" or (n.get("type") == "Replace" and "Regex" in n.get("pattern", {}))
                        for n in norms)
                and pre.get("type") == "Metaspace" and pre.get("prepend_scheme") == "always" and pre.get("split")
                and post.get("type") == "TemplateProcessing" and len(single) == 3 and "Sequence" in single[1]
                and all(a.get("special") and not (a.get("lstrip") or a.get("rstrip") or a.get("normalized")
                                                   or a.get("single_word")) for a in added))
    if not shape_ok:
        return None
    ids = {a["content"]: a["id"] for a in added}
    return {"format": FORMAT, "pieces": [p for p, _ in model["vocab"]], "scores": [float(s) for _, s in model["vocab"]],
            "unk_id": model["unk_id"], "replacement": pre["replacement"], "added": ids,
            "normalizer": [(n["type"], n.get("pattern", {}).get("Regex"), n.get("content")) for n in norms],
            "bos": ids[single[0]["SpecialToken"]["id"]], "eos": ids[single[2]["SpecialToken"]["id"]]}


def agrees(quick: QuickUnigram, tokenizer: Any) -> bool:
    """True if `quick` gives the ids `tokenizer` (a tokenizers.Tokenizer, truncating at 512) gives on CHECKS."""
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=512)
    return all(quick.ids(text) == tokenizer.encode(text).ids for text in CHECKS)


def saved_path(tokenizer_json: Path, cache_dir: Path) -> Path:
    """Where the vocabulary of this tokenizer file is saved (its path, size and time in the name)."""
    st = tokenizer_json.stat()
    key = hashlib.sha1(f"{tokenizer_json.resolve()}|{st.st_size}|{st.st_mtime_ns}|{FORMAT}".encode()).hexdigest()
    return cache_dir / f"{key[:20]}.unigram"


def load(tokenizer_json: Path, cache_dir: Path) -> QuickUnigram | None:
    """The saved tokenizer, or None if none was saved (then `save` makes it, given `tokenizers`' own)."""
    try:
        spec = marshal.loads(saved_path(tokenizer_json, cache_dir).read_bytes())
        return QuickUnigram(spec) if spec.get("format") == FORMAT else None
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        return None


def save(tokenizer_json: Path, cache_dir: Path, tokenizer: Any) -> None:
    """Save the vocabulary for `load` if the file is of the supported shape and both tokenizers agree."""
    try:
        spec = spec_of(tokenizer_json)
        if spec is None or not agrees(QuickUnigram(spec), tokenizer):
            log.info("%s: kept on tokenizers alone (not of the shape the quick tokenizer reads)", tokenizer_json)
            return
        target = saved_path(tokenizer_json, cache_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(spec))
        os.replace(tmp, target)
    except (OSError, ValueError, KeyError, re.error) as exc:
        log.warning("could not save a quick tokenizer for %s (%s)", tokenizer_json, exc)
