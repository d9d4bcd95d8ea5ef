"""Topics as people type them: do two-to-five-word queries in any language reach the right documents,
and do digests on a topic pick on-topic documents and quote real statements?

    python -m benchmarks.topic_bench [--home DIR] [--json] [--queries FILE] [--digests FILE]

The shared corpus is ingested into a throwaway home (or the store of `--home` is copied). Per query
language: how often the per-document top 3 holds an expected document, for the default search and for
the dense side alone; the share of bibliography and front-matter chunks among the per-document top 10
(judged here by their shape, independently of how Veille marks them). Per digest topic: the share of
listed documents that are on the topic, the share of expected documents listed, and the key points
that look like something other than a statement (a heading, a byline, an affiliation, a reference
entry, a navigation line, a table row, a fragment), printed so that a person can read them.

The sets: benchmarks/topic-queries.jsonl (48 queries, 16 topics in English, French and Korean) and
benchmarks/digest-topics.jsonl (7 topics), written on 2026-12-07 before any change they measure; their
first figures are the baseline of BENCHMARKS.md, and they are dev sets since. A second set,
benchmarks/topic-queries-sealed.jsonl (51 queries, 17 other topics), was written on 2026-12-07 after the
changes of 0.3.0 and first run when they were done: nothing of 0.3.0 was tuned on it, so its figures
are 0.3.0's unseen ones; whatever is tuned on it later makes it a dev set too.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.ask_bench import prepared_home
from benchmarks.report import machine, with_baseline, write_section

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "benchmarks" / "topic-queries.jsonl"
DIGESTS = ROOT / "benchmarks" / "digest-topics.jsonl"
SEALED = ROOT / "benchmarks" / "topic-queries-sealed.jsonl"
TITLE = "Topics: cross-lingual topic search and digests"

# Shapes of what is not prose, for judging results (not Veille's own classifier).
_YEAR = re.compile(r"\b(?:19|20)\d\d[a-z]?\b")
_REF_MARK = re.compile(r"\bet al\.|\bIn Proceedings|\bProceedings of\b|\barXiv(?: preprint)?\b|\bpp\.\s*\d|"
                       r"\bVol\.|\bConference\b|\bJournal\b|\bTransactions\b|\bURL\b|doi\.org", re.IGNORECASE)
_FRONT = re.compile(r"@[\w.-]+\.\w+|\b(?:University|Université|Institute|Laboratory|Inc\.|Equal contribution|"
                    r"Corresponding author|Work done (?:while|during)|Acknowledge?ments?)\b|[†‡∗]", re.IGNORECASE)
# a reference entry: a venue, or a list of surnames with initials ("Lewis, P., Perez, E.")
_ENTRY = re.compile(r"In Proceedings|Proceedings of|arXiv preprint|\bpp\.\s*\d|\bVol\.|doi\.org|^\[\d+\]\s|"
                    r"^(?:[A-Z][\w'-]+,\s(?:[A-Z]\.\s?)+(?:,\s|\sand\s|&\s)){2,}")
_NAV = re.compile(r"^(?:Aller au contenu|Retour|Article (?:précédent|suivant)|Publié|Skip to content|Back|Share|"
                  r"Previous|Next)\b", re.IGNORECASE)


_CITATION = re.compile(r"\([^()]*(?:19|20)\d\d[^()]*\)|\[[\d,;\s–-]+\]")  # "(Lee et al., 2019)", "[3, 12]"


def looks_like_bibliography(text: str) -> bool:
    """A chunk that is mostly reference entries: many years and citation marks for its length once the
    in-text citations of prose ("(Lee et al., 2019)") are set aside."""
    bare = _CITATION.sub(" ", text)
    per_k = 1000 / max(len(bare), 1)
    return len(_YEAR.findall(bare)) * per_k >= 6 and len(_REF_MARK.findall(bare)) * per_k >= 3


def looks_like_front_matter(text: str) -> bool:
    """Author lists, affiliations, e-mails, acknowledgements."""
    return len(_FRONT.findall(text)) >= 2 and len(_YEAR.findall(text)) < 4


def not_a_statement(sentence: str) -> str | None:
    """Why a key point is no statement, or None."""
    s = sentence.strip()
    words = s.split()
    figures = sum(w.replace(".", "").replace(",", "").isdigit() for w in words)
    checks = [
        (looks_like_front_matter(s) or bool(re.search(r"@[\w.-]+\.\w+|Work done (?:while|during)", s)), "byline"),
        (bool(_NAV.match(s)), "navigation"),
        (bool(_YEAR.search(s)) and bool(_ENTRY.search(s)), "reference entry"),
        (s.count("|") >= 2 or figures >= max(4, len(words) // 2), "table row"),
        (len(words) < 6, "fragment"),
        (s[:1].islower(), "starts mid-sentence"),
        (not re.search(r"[.!?…。:;)\]\"»”다요]$", s), "heading or cut"),
        (bool(re.match(r"^(?:Table|Figure|Fig\.|Tableau|그림|표)\s*\d", s)), "caption"),
    ]
    return next((why for bad, why in checks if bad), None)


def _gold(hit_source: str, arxiv_id: str | None, golds: list[str]) -> bool:
    return (arxiv_id is not None and arxiv_id in golds) or Path(hit_source).name in golds


def run_queries(kb: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per language: top-3 hits (default search and dense alone), and bibliography / front matter shares."""
    from veille.index.hits import SearchFilters

    by_lang: dict[str, Counter[str]] = {}
    details = []
    for row in rows:
        c = by_lang.setdefault(row["lang"], Counter())
        hits = kb.search(row["query"], k=10, per_doc=True, filters=SearchFilters())
        dense = kb.search(row["query"], k=3, per_doc=True, mode="dense")
        top3 = any(_gold(h.source, h.arxiv_id, row["expected"]) for h in hits[:3])
        c["queries"] += 1
        c["top3"] += top3
        c["dense_top3"] += any(_gold(h.source, h.arxiv_id, row["expected"]) for h in dense[:3])
        c["hits"] += len(hits)
        c["bibliography"] += sum(looks_like_bibliography(h.text) for h in hits)
        c["front_matter"] += sum(looks_like_front_matter(h.text) for h in hits)
        details.append({"id": row["id"], "top3": top3, "docs": [Path(h.source).name if not h.arxiv_id else h.arxiv_id
                                                                 for h in hits[:3]]})
    return {"by_lang": {lang: dict(c) for lang, c in sorted(by_lang.items())}, "details": details}


def run_digests(kb: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per digest topic: documents on topic, expected documents listed, key points that are not statements."""
    out = []
    for row in rows:
        digest = kb.digest(row["topic"], lang=row["lang"])
        records = {r.doc_id: r for r in kb.documents()}
        listed = [records[e.doc_id] for e in digest.documents if e.doc_id in records]
        names = [r.arxiv_id or Path(r.source).name for r in listed]
        fine = set(row["expected"]) | set(row.get("acceptable", []))
        points = [p.text for e in digest.documents for p in ([e.new] if e.new else []) + e.key_points]
        bad = [(why, p) for p in points if (why := not_a_statement(p))]
        out.append({"id": row["id"], "topic": row["topic"], "lang": row["lang"], "listed": names,
                    "on_topic": sum(n in fine for n in names) / max(len(names), 1),
                    "expected_listed": sum(n in names for n in row["expected"]) / len(row["expected"]),
                    "key_points": len(points), "not_statements": bad})
    return out


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(home: Path, queries: Path, digests: Path | None) -> dict[str, Any]:
    """Both measures (the queries alone without `digests`) in one process over the store of `home`."""
    from veille.kb import KnowledgeBase
    from veille.settings import Settings

    with KnowledgeBase(Settings(home=home)) as kb:
        return {"queries": run_queries(kb, _load(queries)),
                "sealed": run_queries(kb, _load(SEALED)) if queries == QUERIES else None,
                "digests": run_digests(kb, _load(digests)) if digests else []}


def write(result: dict[str, Any], command: str) -> None:
    """The section of BENCHMARKS.md."""
    lines = [f"Command: `{command}` on {machine()}.", "",
             "| query language | queries | per-document top 3 holds an expected document | dense alone | "
             "bibliography in the top 10 | front matter in the top 10 |", "|---|---|---|---|---|---|"]
    for name, key in (("", "queries"), (" (unseen set)", "sealed")):
        for lang, c in (result.get(key) or {}).get("by_lang", {}).items():
            lines.append(f"| {lang}{name} | {c['queries']} | {c['top3']} | {c['dense_top3']} | "
                         f"{c['bibliography'] / max(c['hits'], 1):.0%} | "
                         f"{c['front_matter'] / max(c['hits'], 1):.0%} |")
    lines += ["", "| digest topic | language | documents on topic | expected documents listed | key points | "
              "not statements |", "|---|---|---|---|---|---|"]
    for d in result["digests"]:
        lines.append(f"| {d['topic']} | {d['lang']} | {d['on_topic']:.0%} | {d['expected_listed']:.0%} | "
                     f"{d['key_points']} | {len(d['not_statements'])} |")
    write_section(ROOT / "BENCHMARKS.md", TITLE, with_baseline(ROOT / "BENCHMARKS.md", TITLE, "\n".join(lines)))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--home", type=Path, help="Copy this home's store instead of ingesting ../shared/corpus.")
    p.add_argument("--queries", type=Path, default=QUERIES)
    p.add_argument("--digests", type=Path, default=DIGESTS)
    p.add_argument("--no-digests", action="store_true", help="Queries only.")
    p.add_argument("--json", action="store_true", help="Only the JSON result on stdout (BENCHMARKS.md untouched).")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="veille-topics-") as tmp:
        result = run(prepared_home(args.home, Path(tmp)), args.queries, None if args.no_digests else args.digests)
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 1))
    if not args.json and args.queries == QUERIES and not args.no_digests:
        write(result, "python -m benchmarks.topic_bench" + (" --home DIR" if args.home else ""))


if __name__ == "__main__":
    main()
