"""Every benchmark in one run, figures into BENCHMARKS.md.

    python -m benchmarks.run            # full: 28.5 minutes on 2 cores (benchmark cache warm)
    python -m benchmarks.run --quick    # < 5 minutes: 2 papers, 2 small BEIR subsets, 5k chunks

Steps: parse/chunk throughput (ingest_bench), Korean morphemes against bigrams (korean_sparse),
embedding runtimes side by side (embed_bench), cold start of commands (startup_bench),
Veille against the LlamaIndex baseline (compare: ingest, re-ingest, memory, latency, kb-questions,
BEIR subsets), the server under load on the compared knowledge base (load_bench), offline answers on
the question sets over it (ask_bench), then the embedded store grown from it (scale_bench).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import ask_bench, embed_bench, ingest_bench, korean_sparse, load_bench, scale_bench, startup_bench
from benchmarks.report import machine, write_section

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    quick = ["--quick"] if args.quick else []
    started = time.perf_counter()
    steps: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="veille-bench-") as tmp:
        keep = Path(tmp) / "veille-home"
        if not args.quick:
            t = time.perf_counter()
            ingest_bench.main(["--repeat", "1"])
            steps.append(("parse and chunk", time.perf_counter() - t))
            t = time.perf_counter()
            korean_sparse.main([])
            steps.append(("Korean keyword side", time.perf_counter() - t))
            t = time.perf_counter()
            embed_bench.main([])
            steps.append(("embedding runtimes", time.perf_counter() - t))
            t = time.perf_counter()
            startup_bench.main([])
            steps.append(("CLI start-up", time.perf_counter() - t))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "benchmarks.compare", *quick, "--keep", str(keep)], cwd=ROOT, check=True)
        steps.append(("Veille vs baseline", time.perf_counter() - t))
        if not args.quick:
            t = time.perf_counter()
            for extra in ([], ["--repeated"]):
                load_bench.main(["--home", str(keep), *extra])
            steps.append(("HTTP server under load", time.perf_counter() - t))
            t = time.perf_counter()
            ask_bench.main(["--home", str(keep)])
            steps.append(("offline answers", time.perf_counter() - t))
        t = time.perf_counter()
        sizes, queries = ("5000", "10") if args.quick else ("10000,100000,1000000", "20")
        scale_bench.main(["--source-home", str(keep), "--sizes", sizes, "--queries", queries,
                          "--command", f"python -m benchmarks.run{' --quick' if args.quick else ''}"])
        steps.append(("embedded store at scale", time.perf_counter() - t))
    total = time.perf_counter() - started
    body = "\n".join([f"`python -m benchmarks.run{' --quick' if args.quick else ''}` on {machine()}: "
                      f"**{total / 60:.1f} minutes** in total.", "",
                      "| step | wall time |", "|---|---|",
                      *[f"| {name} | {secs / 60:.1f} min |" for name, secs in steps]])
    write_section(ROOT / "BENCHMARKS.md", "Run time" + (" (quick)" if args.quick else ""), body)
    print(body)


if __name__ == "__main__":
    main()
