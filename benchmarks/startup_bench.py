"""Cold start of `veille` commands: wall time of a fresh process, as a user at the shell sees it.

    python -m benchmarks.startup_bench [--repeat 3] [--json]

Each command runs in a new process on a knowledge base holding samples/ (ingested once, untimed),
`--repeat` times; median and best wall times. `python -X importtime` tells where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.report import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [["--version"], ["--help"], ["watch", "list"], ["docs"], ["stats"],
            ["search", "KV cache compression", "-k", "3"]]


def timed(args: list[str], env: dict[str, str], repeat: int) -> dict[str, Any]:
    """Median and best wall time of `veille ARGS` in fresh processes."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from veille.interfaces.cli import main; main()", *args],
                       env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return {"command": "veille " + " ".join(args), "median_s": statistics.median(times), "best_s": min(times)}


def run(repeat: int) -> list[dict[str, Any]]:
    """Every command of COMMANDS on a throwaway knowledge base of samples/."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "samples", Path(tmp) / "samples")
        env = os.environ | {"VEILLE_HOME": str(Path(tmp) / "home")}
        subprocess.run([sys.executable, "-c", "from veille.interfaces.cli import main; main()", "ingest",
                        str(Path(tmp) / "samples")], env=env, capture_output=True, check=True)
        return [timed(args, env, repeat) for args in COMMANDS]


def write(rows: list[dict[str, Any]], command: str) -> None:
    """The 'CLI start-up' section of BENCHMARKS.md."""
    lines = [f"Command: `{command}` on {machine()}. A fresh process per run, on a knowledge base holding "
             "samples/ (embedding model files already built).", "",
             "| command | median | best |", "|---|---|---|"]
    lines += [f"| `{r['command']}` | {r['median_s']:.2f} s | {r['best_s']:.2f} s |" for r in rows]
    write_section(ROOT / "BENCHMARKS.md", "CLI start-up", "\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", action="store_true", help="Only the JSON lines (one per command) on stdout.")
    args = p.parse_args(argv)
    rows = run(args.repeat)
    for row in rows:
        print(json.dumps(row))
    if not args.json:
        write(rows, f"python -m benchmarks.startup_bench --repeat {args.repeat}")


if __name__ == "__main__":
    main()
