"""The HTTP server under load: N clients on loopback against `veille serve`, bounded in time.

    python -m benchmarks.load_bench [--home DIR] [--clients 50] [--seconds 60] [--json]

The server runs in its own process on a copy of `--home` (a knowledge base; default: ../shared/corpus
ingested into a temporary one, through the benchmark's embedding cache). Each client is a thread
with its own keep-alive connection that sends requests back to back, drawn from a fixed mix
(`--mix`, by default MIX: searches in English, French and Korean, the stats and document lists a UI
polls; `ask` (offline answers) and `digest` can be added). Queries are drawn without replacement from
~10,000 distinct texts, so none repeats unless a run sends more (`--repeated`: the kb-questions, drawn
at random, which do). Per endpoint: requests, errors,
p50/p95; overall requests/s.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks.report import machine, with_baseline, write_section

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CACHE = Path.home() / ".cache" / "veille-bench"
# endpoint, weight: mostly searches, as a notebook or a UI sends them, and the cheap reads a UI polls
MIX = "search=60,stats=20,documents=20"
Request = Callable[[httpx.Client, random.Random], httpx.Response]


def questions(repeated: bool = False) -> list[str]:
    """Queries in the three languages: the kb-questions, then (unless `repeated`) every question of the
    BEIR sets and the titles of scifact-en's abstracts, interleaved (~10,000). Drawn without
    replacement (see `Draw`), so that a search meets a query already embedded only once the pool
    is spent: the load measures embedding, not a cache. `repeated`: the few dozen kb-questions only, as
    a UI refreshing the same searches sends them."""
    kb = (SHARED / "eval" / "kb-questions.jsonl").read_text(encoding="utf-8").splitlines()
    out = [json.loads(line)["question"] for line in kb if line.strip()]
    if repeated:
        return out
    sets = [[json.loads(line)["text"] for line in (SHARED / "eval" / name / "queries.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
        for name in ("scifact-en", "piaf-fr", "korquad-ko", "tatoeba-en-fr", "tatoeba-en-ko")]
    titles = [json.loads(line).get("title") or "" for line in (SHARED / "eval" / "scifact-en" / "corpus.jsonl")
              .read_text(encoding="utf-8").splitlines() if line.strip()]
    sets.append([t for t in titles if len(t) > 20])
    for row in itertools.zip_longest(*sets):
        out += [q for q in row if q]
    return list(dict.fromkeys(out))  # each text once


class Draw:
    """Queries in a fixed shuffled order shared by every client: none repeats until all were sent."""

    def __init__(self, queries: list[str], repeated: bool) -> None:
        self.queries, self.repeated = list(queries), repeated
        random.Random(0).shuffle(self.queries)
        self.sent, self.lock = 0, threading.Lock()

    def __call__(self, r: random.Random) -> str:
        if self.repeated:
            return self.queries[r.getrandbits(32) % len(self.queries)]
        with self.lock:
            self.sent += 1
            return self.queries[(self.sent - 1) % len(self.queries)]


def requests(nxt: Draw) -> dict[str, Request]:
    """One request maker per endpoint of MIX."""
    return {
        "search": lambda c, r: c.post("/search", json={"query": nxt(r), "k": 10}),
        "ask": lambda c, r: c.post("/ask", json={"question": nxt(r), "use_llm": False}),
        "digest": lambda c, r: c.post("/digest", json={"topic": nxt(r), "max_docs": 4,
                                                       "lang": r.choice(["fr", "en", "ko"])}),
        "stats": lambda c, r: c.get("/stats"),
        "documents": lambda c, r: c.get("/documents", params={"limit": 20}),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`veille serve` on `home` in its own process, once it answers /health."""
    port = _free_port()
    env = os.environ | {"VEILLE_HOME": str(home), "VEILLE_WATCH_TICK_SECONDS": "0"}
    proc = subprocess.Popen([sys.executable, "-c", "from veille.interfaces.cli import main; main()", "serve",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            if httpx.get(base + "/health", timeout=60).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def parse_mix(text: str) -> list[tuple[str, int]]:
    """'search=60,stats=20' → [('search', 60), ('stats', 20)]."""
    pairs = [part.split("=") for part in text.split(",") if part.strip()]
    return [(name.strip(), int(weight)) for name, weight in pairs]


def client(base: str, seed: int, until: float, mix: list[tuple[str, int]], makers: dict[str, Request],
           out: list[tuple[str, float, bool]]) -> None:
    """Send requests back to back until `until`, recording (endpoint, seconds, ok)."""
    rng = random.Random(seed)
    names, weights = zip(*mix, strict=True)
    with httpx.Client(base_url=base, timeout=120) as c:
        while time.monotonic() < until:
            name = rng.choices(names, weights)[0]
            start = time.perf_counter()
            try:
                ok = makers[name](c, rng).status_code == 200
            except httpx.HTTPError:
                ok = False
            out.append((name, time.perf_counter() - start, ok))


def load(base: str, clients: int, seconds: float, queries: list[str], mix: list[tuple[str, int]],
         repeated: bool = False) -> dict[str, Any]:
    """Run the clients; figures per endpoint and overall."""
    draw = Draw(queries, repeated)
    makers, out = requests(draw), []  # type: ignore[var-annotated]
    with httpx.Client(base_url=base, timeout=120) as first:  # one of each first: the first Korean query loads Kiwi
        for name, _ in mix:
            makers[name](first, random.Random(0))
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=client, args=(base, i, until, mix, makers, out)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    per: dict[str, Any] = {}
    for name, _ in mix:
        times = sorted(s for n, s, _ in out if n == name)
        per[name] = {"requests": len(times), "errors": sum(1 for n, _, ok in out if n == name and not ok),
                     "p50_ms": 1000 * statistics.median(times) if times else None,
                     "p95_ms": 1000 * times[math.ceil(0.95 * len(times)) - 1] if times else None}
    return {"clients": clients, "mix": dict(mix), "seconds": round(wall, 1), "requests": len(out),
            "errors": sum(1 for *_, ok in out if not ok), "rps": len(out) / wall, "endpoints": per,
            "pool": len(queries), "drawn": draw.sent}


def corpus_home(tmp: Path) -> Path:
    """../shared/corpus ingested into a new knowledge base (the benchmark cache spares re-embedding)."""
    home = tmp / "corpus-home"
    env = os.environ | {"VEILLE_HOME": str(home), "VEILLE_CACHE_DIR": str(CACHE)}
    subprocess.run([sys.executable, "-c", "from veille.interfaces.cli import main; main()", "ingest",
                    str(SHARED / "corpus")], env=env, check=True, capture_output=True)
    return home


def write(result: dict[str, Any], command: str, docs: int) -> None:
    """The 'HTTP server under load' section of BENCHMARKS.md."""
    lines = [f"Command: `{command}` on {machine()}. `veille serve` in its own process on the shared corpus "
             f"({docs} documents), {result['clients']} client threads on loopback for {result['seconds']:.0f} s, "
             "requests back to back, mix " + ", ".join(f"{n} {w}" for n, w in result["mix"].items()) + ". Queries: " +
             ("the kb-questions, repeated (recent query vectors are kept)" if result["queries"] == "repeated" else
              f"{result['drawn']:,} drawn without replacement from {result['pool']:,} distinct texts (kb-questions, "
              "the questions of the five BEIR sets, scifact-en's titles)" + (", so none repeated" if result["drawn"]
              <= result["pool"] else ", so the pool was spent and some repeated")) +
             "; answers offline.", "",
             f"**{result['rps']:.1f} requests/s**, {result['requests']:,} requests, {result['errors']} errors.", "",
             "| endpoint | requests | errors | p50 | p95 |", "|---|---|---|---|---|"]
    for name, r in result["endpoints"].items():
        if r["requests"]:
            lines.append(f"| {name} | {r['requests']:,} | {r['errors']} | {r['p50_ms']:.0f} ms "
                         f"| {r['p95_ms']:.0f} ms |")
    path, title = ROOT / "BENCHMARKS.md", f"HTTP server under load ({result['queries']} queries)"
    write_section(path, title, with_baseline(path, title, "\n".join(lines)))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--home", type=Path, default=None, help="A VEILLE_HOME to serve (copied first).")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--mix", default=MIX, help=f"endpoint=weight,... among search, ask, digest, stats, documents "
                                              f"(default {MIX}).")
    p.add_argument("--repeated", action="store_true", help="Only the kb-questions as queries (they repeat).")
    p.add_argument("--json", action="store_true", help="Only the JSON object on stdout.")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="veille-load-") as tmp:
        home = Path(tmp) / "home"
        if args.home:
            shutil.copytree(args.home, home, ignore=shutil.ignore_patterns("*.lock", "server.json"))
        else:
            home = corpus_home(Path(tmp))
        proc, base = start_server(home)
        try:
            docs = httpx.get(base + "/stats", timeout=60).json()["documents"]
            result = load(base, args.clients, args.seconds, questions(args.repeated), parse_mix(args.mix),
                          args.repeated)
            result["queries"] = "repeated" if args.repeated else "distinct"
        finally:
            proc.terminate()
            proc.wait(30)
    print(json.dumps(result))
    if not args.json:
        write(result, f"python -m benchmarks.load_bench --clients {args.clients} --seconds {args.seconds:g} "
                      f"--mix {args.mix}{' --repeated' if args.repeated else ''}", docs)


if __name__ == "__main__":
    main()
