"""The reading room's pages served over a large store: server time per page, a PDF page's image, and
how soon an answer's first words arrive.

    python -m benchmarks.room_bench --source-home DIR [--size 100000] [--repeat 20] [--json]

The store of DIR (an ingested knowledge base, e.g. the shared corpus) is copied into a throwaway home and
its chunks replicated, as benchmarks/scale_bench.py does, until it holds `--size` chunks; the documents
stay DIR's. The pages are requested in-process (Starlette's test client: the server's own time, no
network), each once to warm up, then `--repeat` times: p50 and p95 per page. A PDF page's image is timed
when first rendered and when read again from the page cache; an answer's first streamed text is timed
from the request to its first event, warm (each question asked once before).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from benchmarks.report import machine, with_baseline, write_section
from benchmarks.scale_bench import QUESTIONS, grow

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Reading room: pages over a large store"
TOPICS = ROOT / "benchmarks" / "topic-queries.jsonl"


def prepared(source: Path, home: Path, size: int) -> int:
    """A copy of `source`'s store in `home`, its chunks replicated up to `size`; the chunks it holds."""
    from veille.index.stores.edge import EdgeStore
    from veille.index.stores.migrate import EDGE_DIR

    shutil.copytree(source / EDGE_DIR, home / EDGE_DIR)
    for name in ("embedding-runtime.txt",):
        if (source / name).exists():
            shutil.copy2(source / name, home / name)
    store = EdgeStore(home / EDGE_DIR)
    info = store.stored_info()
    assert info is not None, f"{source}: no ingested knowledge base there"
    store.open(info)
    points = list(store.export_points())
    grow(store, points, len(points), max(size, len(points)), np.random.default_rng(0))
    store.optimize()
    held = store.count()
    store.close()
    return held


def timed(get: Any, urls: str | list[str], repeat: int) -> tuple[float, float]:
    """p50 and p95 (ms) of `repeat` requests, in turn to each of `urls` (a search asked again is answered from
    the last results: distinct queries measure the search itself), after one to warm up; each must be 200."""
    from veille.evaluation import percentiles

    cycle = [urls] if isinstance(urls, str) else urls
    assert get(cycle[-1]).status_code == 200, cycle[-1]
    times = []
    for i in range(repeat):
        t = time.perf_counter()
        response = get(cycle[i % len(cycle)])
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, cycle[i % len(cycle)]
    return percentiles(times)


def first_words_ms(client: Any, question: str) -> float:
    """Time from the request to the first streamed event of an answer (ms)."""
    t = time.perf_counter()
    with client.stream("GET", "/ask/stream", params={"q": question}) as response:
        for line in response.iter_lines():
            if line.startswith("event: "):
                return (time.perf_counter() - t) * 1000
    raise AssertionError(f"no event for {question!r}")


def run(source: Path, size: int, repeat: int) -> dict[str, Any]:
    """Every measure over one grown store."""
    from fastapi.testclient import TestClient

    from veille.evaluation import percentiles
    from veille.interfaces.http.app import create_app
    from veille.kb import KnowledgeBase
    from veille.settings import Settings

    with tempfile.TemporaryDirectory(prefix="veille-room-") as tmp:
        home = Path(tmp) / "home"
        chunks = prepared(source, home, size)
        kb = KnowledgeBase(Settings(home=home))
        with TestClient(create_app(kb)) as client:
            docs = kb.documents()
            paper = next(d for d in docs if d.kind == "paper")
            note = next(d for d in docs if d.kind == "note")
            pc = next(c for c in kb.chunks(paper.doc_id) if c.get("sentences") and c.get("page_start"))
            nc = next(c for c in kb.chunks(note.doc_id) if c.get("sentences"))
            (pa, pb), (na, nb) = pc["sentences"][0], nc["sentences"][0]
            topics = [json.loads(x)["query"] for x in TOPICS.read_text(encoding="utf-8").splitlines() if x.strip()]
            pages: dict[str, str | list[str]] = {
                "search (distinct topics)": ["/search?q=" + quote(t) for t in topics],
                "library": "/library",
                "document": f"/library/doc/{quote(paper.doc_id, safe='')}",
                "passage (note)": f"/read/{quote(note.doc_id, safe='')}?chunk={nc['chunk_id']}&start={na}&end={nb}",
                "passage (PDF page)": f"/read/{quote(paper.doc_id, safe='')}?chunk={pc['chunk_id']}&start={pa}"
                                      f"&end={pb}",
                "digests": "/digests", "watch": "/subscriptions", "login": "/login",
            }
            out: dict[str, Any] = {"chunks": chunks, "pages": {name: timed(client.get, url, repeat)
                                                               for name, url in pages.items()}}
            image = f"/page-image/{pc['page_start']}/{quote(paper.doc_id, safe='')}"
            t = time.perf_counter()
            assert client.get(image).status_code == 200
            out["image_first_ms"] = (time.perf_counter() - t) * 1000
            out["image_cached"] = timed(client.get, image, repeat)
            questions = [json.loads(x)["question"] for x in QUESTIONS.read_text().splitlines() if x.strip()]
            for q in questions:  # warm: each asked once
                first_words_ms(client, q)
            out["first_words"] = percentiles([first_words_ms(client, q) for q in questions])
            out["ask_page"] = timed(client.get, ["/ask?q=" + quote(q) for q in questions], repeat)
        kb.close()
    return out


def write(result: dict[str, Any], command: str) -> None:
    """The section of BENCHMARKS.md."""
    lines = [f"Command: `{command}` on {machine()}: {result['chunks']:,} chunks; server time in-process, p50 / p95 "
             "of 20 requests after one to warm up.", "",
             "| page | p50 / p95 |", "|---|---|"]
    for name, (p50, p95) in result["pages"].items():
        lines.append(f"| {name} | {p50:.0f} / {p95:.0f} ms |")
    lines += [f"| ask page (whole answer) | {result['ask_page'][0]:.0f} / {result['ask_page'][1]:.0f} ms |",
              f"| PDF page image, first render | {result['image_first_ms']:.0f} ms |",
              f"| PDF page image, from the page cache | {result['image_cached'][0]:.1f} / "
              f"{result['image_cached'][1]:.1f} ms |",
              f"| an answer's first streamed words (kb-questions, warm) | {result['first_words'][0]:.0f} / "
              f"{result['first_words'][1]:.0f} ms |"]
    path = ROOT / "BENCHMARKS.md"
    write_section(path, TITLE, with_baseline(path, TITLE, "\n".join(lines)))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--source-home", type=Path, required=True)
    p.add_argument("--size", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--json", action="store_true", help="Only the JSON result on stdout (BENCHMARKS.md untouched).")
    args = p.parse_args(argv)
    result = run(args.source_home, args.size, args.repeat)
    print(json.dumps(result, indent=None if args.json else 1))
    if not args.json:
        write(result, f"python -m benchmarks.room_bench --source-home DIR --size {args.size}")


if __name__ == "__main__":
    main()
