"""Offline answers: is the asked fact in the answer, and how long does a question take the first time?

    python -m benchmarks.ask_bench [--home DIR] [--json] [QUESTIONS.jsonl ...]

The shared corpus is ingested into a throwaway home (or the store of `--home` is copied), then every
question file is asked in one process, each question twice: first with an empty embedding cache, so no
sentence of its answer has been embedded yet (what a user asking a new question meets), then again (a
question asked before). Two unrelated questions load the model, the store and the Korean analyser before
any timing: a start-up cost, not a question's. Per file: hit@5 of the gold source, gold source cited,
fact stated, ask p50/p95 of both asks. The default files: kb-questions.jsonl from ../shared/eval and the
six sets of benchmarks/ (dev: written after the reader's first calibration; holdout, fresh, untuned,
blind and drawn: written from sentences drawn at random before their answers were read; the reader was
since adjusted on the misses of dev, holdout, fresh, untuned and blind, and on one of drawn's (z05, the
set's only miss when it was written), all before 0.1.0 (2026-12-03): none of them is unseen. The sealed
set (sealed-questions.jsonl, 2026-12-07) adds questions the corpus cannot answer; its first run is 0.4.0's
unseen figure (CHANGELOG.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.report import machine, with_baseline, write_section

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SETS = [SHARED / "eval" / "kb-questions.jsonl", ROOT / "benchmarks" / "dev-questions.jsonl",
        ROOT / "benchmarks" / "holdout-questions.jsonl", ROOT / "benchmarks" / "fresh-questions.jsonl",
        ROOT / "benchmarks" / "untuned-questions.jsonl", ROOT / "benchmarks" / "blind-questions.jsonl",
        ROOT / "benchmarks" / "drawn-questions.jsonl", ROOT / "benchmarks" / "sealed-questions.jsonl"]
TITLE = "Offline answers: fact stated, first-time ask latency"


def prepared_home(source: Path | None, tmp: Path) -> Path:
    """A home holding the corpus store and no embedding cache (the store copied from `source`, or the
    shared corpus ingested, its cache then dropped)."""
    home = tmp / "home"
    if source is None:
        subprocess.run([sys.executable, "-c", "from veille.interfaces.cli import main; main()", "ingest",
                        str(SHARED / "corpus")], env=os.environ | {"VEILLE_HOME": str(home)}, check=True,
                       capture_output=True)
        shutil.rmtree(home / "cache", ignore_errors=True)
        return home
    home.mkdir()
    for name in ("edge", "embedding-runtime.txt"):
        if (source / name).is_dir():
            shutil.copytree(source / name, home / name)
        elif (source / name).exists():
            shutil.copy2(source / name, home / name)
    return home


def run(home: Path, sets: list[Path]) -> list[dict[str, Any]]:
    """Both passes over every set, in one process (model and store loaded once, before timing)."""
    from veille.evaluation import load_questions, run_questions
    from veille.kb import KnowledgeBase
    from veille.settings import Settings

    rows: list[dict[str, Any]] = []
    with KnowledgeBase(Settings(home=home)) as kb:
        # a warm process: model, store, tokenizer, Kiwi (Korean) loaded by one question of each script
        for warm in ("What does the archive say about attention?", "어텐션에 대해 무엇을 말하나요?"):
            kb.ask(warm)
        for path in sets:  # each question asked twice (run_questions): first, then again
            r = run_questions(kb, load_questions(path))
            common = {"set": path.stem, "questions": r.questions, "hit_at_5": r.hit_at_5,
                      "cited": r.citation_hit_rate, "stated": r.answer_contains_rate,
                      "unanswerable": r.unanswerable, "refused": r.refusal_rate,
                      "missed": [x.id for x in r.results if x.answerable and not x.stated]
                      + [x.id for x in r.results if not x.answerable and x.found]}
            rows += [common | {"pass": "first", "ask_p50_ms": r.ask_p50_ms, "ask_p95_ms": r.ask_p95_ms},
                     common | {"pass": "again", "ask_p50_ms": r.warm_ask_p50_ms, "ask_p95_ms": r.warm_ask_p95_ms}]
    return rows


def write(rows: list[dict[str, Any]], command: str) -> None:
    """The section of BENCHMARKS.md."""
    again = {r["set"]: r for r in rows if r["pass"] == "again"}
    lines = [f"Command: `{command}` on {machine()}, onnx-int8. \"First\": the embedding cache empty, so every "
             "question is new to the reader; \"again\": the same questions asked a second time. The sets of "
             "`benchmarks/` were written over the shared corpus (see ask_bench's docstring for how and which were "
             "read).", "",
             "| set | hit@5 | gold cited | fact stated | refused beyond the archive | ask p50 / p95, first | "
             "ask p50 / p95, again | missed |",
             "|---|---|---|---|---|---|---|---|"]
    for r in (r for r in rows if r["pass"] == "first"):
        a = again[r["set"]]
        refused = f"{r['refused'] * r['unanswerable']:.0f} / {r['unanswerable']}" if r.get("unanswerable") else "-"
        lines.append(f"| {r['set']} ({r['questions']}) | {r['hit_at_5']:.0%} | {r['cited']:.0%} | {r['stated']:.0%} | "
                     f"{refused} | {r['ask_p50_ms']:,.0f} / {r['ask_p95_ms']:,.0f} ms | "
                     f"{a['ask_p50_ms']:,.0f} / {a['ask_p95_ms']:,.0f} ms | {', '.join(r['missed']) or '-'} |")
    path = ROOT / "BENCHMARKS.md"
    write_section(path, TITLE, with_baseline(path, TITLE, "\n".join(lines)))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("sets", nargs="*", type=Path, default=SETS)
    p.add_argument("--home", type=Path, help="Copy this home's store instead of ingesting ../shared/corpus.")
    p.add_argument("--json", action="store_true", help="Only the JSON lines (one per set and pass) on stdout.")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="veille-ask-") as tmp:
        rows = run(prepared_home(args.home, Path(tmp)), args.sets)
    for row in rows:
        print(json.dumps(row))
    if not args.json:
        write(rows, "python -m benchmarks.ask_bench" + (" --home DIR" if args.home else ""))


if __name__ == "__main__":
    main()
