"""Topic (or time window) → Digest: pick documents, pick their key sentences, cite every one.

Extractive: sentences are ranked by relevance to the topic and centrality in their document
(cosine to the document's mean chunk vector), so what is quoted is both on-topic and typical of
the document. Vectors come from the store (chunks) and the embedding cache (sentences).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from veille.digest.brief import CitedText, DigestEntry
from veille.digest.settings import DIGEST, DigestSettings
from veille.errors import NotFoundError
from veille.index.hits import Hit
from veille.index.keywords import distinct_terms
from veille.index.records import DocRecord
from veille.index.retrieval import hit_from_payload
from veille.ingest.roles import front_matter_line, names_institutions, reference_entry
from veille.languages import caption_start
from veille.reader.answer import Citation
from veille.reader.quotes import ENDED, LIST_MARK, Candidate, candidates, citation, link
from veille.reader.scoring import is_heading, mmr

Embed = Callable[[list[str]], np.ndarray]
ChunkVectors = Callable[[str], list[tuple[dict, list[float]]]]
RankDocs = Callable[[str, list[str] | None], list[tuple[str, float]]]  # topic, doc ids → (doc id, score), best first
_TECH = re.compile(r"[A-Z][A-Za-z]*[-.]?\d|[A-Z]{2,}|\d")


@dataclass
class DocView:
    """A document with its chunk vectors and mean vector (its position in embedding space)."""

    record: DocRecord
    payloads: list[dict]
    vecs: np.ndarray
    mean: np.ndarray
    relevance: float = 0.0
    sentences: list[Candidate] = field(default_factory=list)
    svecs: np.ndarray | None = None
    best: int = 0  # index of the sentence chosen as "what is new"


def in_window(records: list[DocRecord], since: datetime | None, until: datetime | None) -> list[DocRecord]:
    """Documents ingested inside [since, until]."""
    def ok(r: DocRecord) -> bool:
        at = r.ingested_at if r.ingested_at.tzinfo else r.ingested_at.replace(tzinfo=UTC)
        return (since is None or at >= since) and (until is None or at <= until)
    return [r for r in records if ok(r)]


def view(record: DocRecord, chunk_vectors: ChunkVectors) -> DocView | None:
    """Load a document's body chunks (bibliography left out) and their vectors."""
    rows = [(p, v) for p, v in chunk_vectors(record.doc_id)
            if v and p.get("role", "body") == "body" and not p.get("references")]
    if not rows:
        return None
    vecs = np.asarray([v for _, v in rows], dtype=np.float32)
    mean = vecs.mean(axis=0)
    return DocView(record, [p for p, _ in rows], vecs, mean / (np.linalg.norm(mean) or 1.0))


def select_for_topic(views: list[DocView], q_vec: np.ndarray, floor: float, most: int,
                     cfg: DigestSettings = DIGEST) -> list[DocView]:
    """The documents on the topic, best first: `views` come ranked by a search on the topic (their `relevance`
    its score, meaning and keywords fused, across languages), and the topic's documents are those before the
    steepest fall of that score among the first `most` + 1, where the documents it names give way to those
    that only touch it, and any scoring `cfg.keep_ratio` of the best (a document that wins both sides of
    the search makes the steepest fall right after itself, before a second one as much on the topic).
    NotFoundError when no chunk comes `floor` close to the topic itself (`q_vec`)."""
    if not views or max(float((v.vecs @ q_vec).max()) for v in views) < floor:
        raise NotFoundError("no document matches this topic", source="topic")
    head = views[:most + 1]
    falls = [b.relevance / a.relevance if a.relevance > 0 else 1.0 for a, b in itertools.pairwise(head)]
    before_fall = int(np.argmin(falls)) + 1 if falls else len(head)
    close = sum(v.relevance >= cfg.keep_ratio * head[0].relevance for v in head)
    return head[:max(before_fall, close)]


def _as_hit(v: DocView, payload: dict, rank: int) -> Hit:
    r = v.record
    return hit_from_payload(rank, 0.0, payload | {"doc_id": r.doc_id, "title": r.title, "source": r.source,
                                                  "arxiv_id": r.arxiv_id, "lang": payload.get("lang", r.lang)})


def load_sentences(v: DocView, focus: np.ndarray, embed: Embed, cfg: DigestSettings = DIGEST) -> None:
    """Sentences of the document's chunks closest to `focus` (the topic, or the document itself)."""
    order = np.argsort(-(v.vecs @ focus), kind="stable")[:cfg.chunks_per_doc]
    hits = [_as_hit(v, v.payloads[i], rank) for rank, i in enumerate(sorted(order), start=1)]
    every = candidates(hits)
    terms = [_terms(c.text, c.hit.lang) for c in every]
    shared = _shared_terms([_terms(v.record.title, v.record.lang), *terms], [v.record.title, *(c.text for c in every)])
    v.sentences = [c for c, mine in zip(every, terms, strict=True)
                   if _readable(c.text) and not _cut(c, v.record.kind) and mine & shared and not _heading_of(c)]
    v.svecs = embed([c.text for c in v.sentences]) if v.sentences else np.zeros((0, len(focus)), np.float32)


def _heading_of(c: Candidate) -> bool:
    """The sentence is one of its passage's section headings (a paper's title in a note's list, say)."""
    text = " ".join(c.text.split())
    return any(text == " ".join(h.split()) for h in c.hit.section)


def _terms(sentence: str, lang: str) -> frozenset[str]:
    """A sentence's content terms (stems, names), figures aside."""
    return frozenset(t for t in distinct_terms(sentence, lang) if not t.isdigit())


def _shared_terms(terms: list[frozenset[str]], texts: list[str]) -> set[str]:
    """The terms of at least two distinct sentences (`texts`, each with its `terms`), the title among them.
    A key point shares some with the rest of its document; a byline ("Notes de veille, rédigées pour…"), a
    navigation line or a licence notice shares none: its words are not the document's subject, whatever
    its cosine says (e5 put the demo note's byline as close to the topic as its on-topic sentences)."""
    seen: Counter[str] = Counter()
    for mine in dict(zip((" ".join(t.split()) for t in texts), terms, strict=True)).values():
        seen.update(mine)
    return {term for term, n in seen.items() if n >= 2}


def _readable(sentence: str) -> bool:
    """Statements only: no title, label or caption, no question, no byline, affiliation, navigation line or
    reference entry, no formula or table debris."""
    letters = sum(ch.isalpha() for ch in sentence)
    return (not is_heading(sentence) and not _title_like(sentence) and not caption_start().match(sentence)
            and letters / len(sentence) > 0.7 and len(sentence.split()) >= 6 and not _debris(sentence)
            and not sentence.rstrip().endswith(("?", ":")) and not front_matter_line(sentence)
            and not names_institutions(sentence)
            and not sentence.lstrip()[:1].islower()  # a sentence cut by a column, a page or a float
            and not reference_entry(sentence))


_CITES = re.compile(r"\bet al\.|\[\d+(?:\s*[,–-]\s*\d+)*\]|\((?:[A-Z][\w-]+[^()]*)?(?:19|20)\d\d[a-z]?\)")


def _new_first(picked: list[int], sentences: list[Candidate]) -> list[int]:
    """The picked sentences with one that cites no other work first: what a document brings is said in its
    own words ("We propose…"), related work in others' ("Following Karpukhin et al. (2020)…")."""
    own = next((i for i in picked if not _CITES.search(sentences[i].text)), None)
    return [own, *(i for i in picked if i != own)] if own is not None else picked


# Extraction debris that reads like prose: footnote links ("1lucene.apache.org 2spacy.io …"), a slide's or
# section's number and title ("119 Are AI agents going commercial?", "35 Frontier labs face up to …"), and a
# PDF's overlaid or scrambled text layers, which repeat words ("Article premier - Les hommes Article premier
# - …") or glue them across a full stop ("à l'oppression.Art principe").
_LINK = re.compile(r"https?://|\bwww\.|\b[\w-]+\.(?:com|org|net|edu)\b", re.IGNORECASE)  # not .ai: Character.AI
_NUMBERED_TITLE = re.compile(r"^\s*\d{1,3}\s+[A-Z]")
_GLUED = re.compile(r"[a-zà-ÿ]{2}\.[A-ZÀ-Ý][a-zà-ÿ]")


def _debris(sentence: str) -> bool:
    words = sentence.lower().split()
    runs = list(zip(words, words[1:], words[2:], words[3:], words[4:], strict=False))  # prose: not 5 words twice
    return (_LINK.search(sentence) is not None or _GLUED.search(sentence) is not None or len(set(runs)) < len(runs)
            or (_NUMBERED_TITLE.match(sentence) is not None and not sentence.rstrip().endswith(".")))


def _cut(c: Candidate, v_kind: str) -> bool:
    """A sentence the chunk boundary cuts (the whole one is in the neighbouring chunk, which overlaps):
    it ends where the chunk ends without closing punctuation, or opens a later chunk in lower case."""
    text = c.hit.text
    # paper prose always closes its sentences: an open one there was cut by a page, a float or a chunk
    ends_cut = not ENDED.search(c.text) and (v_kind == "paper" or not text[c.end:].strip())
    return ends_cut or (c.hit.position > 0 and not text[:c.start].strip() and c.text.lstrip()[:1].islower())


def _title_like(sentence: str) -> bool:
    """A title in a list ("Inference-Time Hyper-Scaling with KV Cache Compression (arxiv)"): most words
    capitalised and no closing punctuation. A statement capitalises its first word and its names."""
    words = [w for w in sentence.split() if w[:1].isalpha()]
    capitals = sum(w[0].isupper() for w in words)
    return len(words) >= 3 and capitals >= 0.6 * len(words) and not ENDED.search(sentence)


class Numbering:
    """Hands out citation numbers; quoting the same sentence twice reuses its number."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self.quoted: list[Candidate] = []
        self._by_key: dict[tuple[str, int], int] = {}

    def cite(self, cand: Candidate, score: float) -> CitedText:
        """The sentence as digest text carrying its [n]."""
        key = (cand.hit.chunk_id, cand.start)
        if key not in self._by_key:
            self._by_key[key] = len(self.citations) + 1
            self.citations.append(citation(self._by_key[key], cand, score))
            self.quoted.append(cand)
        # a list item quoted as a key point would render as "- - …": its own marker goes
        return CitedText(text=LIST_MARK.sub("", " ".join(cand.text.split())), citations=[self._by_key[key]])

    def number_of(self, cand: Candidate) -> int:
        """The number already given to a quoted sentence."""
        return self._by_key[(cand.hit.chunk_id, cand.start)]


def entry(v: DocView, focus: np.ndarray, numbering: Numbering, theme: str | None = None,
          cfg: DigestSettings = DIGEST, centre: np.ndarray | None = None) -> DigestEntry:
    """A document's section: what is new, key points and technical aspects, each a cited quote.

    Sentences are ranked by their closeness to `focus` (the topic, or the document itself) and to `centre`
    (what the digest's documents say about the topic, across them; the document's own mean without it):
    a statement about the topic that other documents echo, not one that only opens its document."""
    assert v.svecs is not None
    if not len(v.sentences):
        scores = np.zeros(0)
    else:
        early = np.array([cfg.early_bonus if c.hit.position <= 1 else 0.0 for c in v.sentences])
        middle = v.mean if centre is None else centre
        scores = cfg.topic_weight * (v.svecs @ focus) + (1 - cfg.topic_weight) * (v.svecs @ middle) + early
    picked = _new_first(mmr(scores, v.svecs, 4, margin=0.2), v.sentences)
    v.best = picked[0] if picked else 0
    technical = [i for i in np.argsort(-scores) if i not in picked and len(_TECH.findall(v.sentences[i].text)) >= 2]
    r = v.record
    cited = [numbering.cite(v.sentences[i], float(scores[i])) for i in picked]
    return DigestEntry(doc_id=r.doc_id, title=r.title, kind=r.kind, lang=r.lang, link=link(r.source, r.arxiv_id),
                       date=r.date, relevance=round(v.relevance, 4), theme=theme,
                       new=cited[0] if cited else None, key_points=cited[1:],
                       technical=[numbering.cite(v.sentences[i], float(scores[i])) for i in technical[:2]])
