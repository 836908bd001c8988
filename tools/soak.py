"""Grade the solutions N times in a row and report every run below full marks.

    python tools/soak.py -n 20            20 runs
    python tools/soak.py -n 20 --hogs 2   the same beside two CPU-burning processes
    python tools/soak.py -n 5 framing     only some topics

Any run below full marks is a flake: a bug in a suite or a solution.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOG = "while True: pass"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("topics", nargs="*")
    parser.add_argument("-n", type=int, default=20, help="number of runs (default 20)")
    parser.add_argument("--hogs", type=int, default=0, help="CPU-burning processes beside the runs")
    args = parser.parse_args(argv)
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(args.hogs)]
    bad, times = 0, []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "result.json"
            for i in range(1, args.n + 1):
                started = time.monotonic()
                proc = subprocess.run(
                    [sys.executable, "-m", "grader", *args.topics, "--solutions", "--json", str(out)],
                    cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
                elapsed = time.monotonic() - started
                times.append(elapsed)
                data = json.loads(out.read_text()) if out.exists() else {"score": 0, "max_score": "?", "topics": []}
                full = proc.returncode == 0
                bad += not full
                print(f"run {i:>3}: {data['score']}/{data['max_score']}  {elapsed:5.1f} s"
                      + ("" if full else "  <-- NOT FULL MARKS"), flush=True)
                for topic in data["topics"]:
                    for test in topic["tests"]:
                        if test["status"] != "passed":
                            print(f"         {topic['id']}.{test['name']}: {test['status']}: "
                                  f"{test['message'][:300]}", flush=True)
                if proc.returncode not in (0, 1):
                    print(proc.stderr[-2000:])
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    times.sort()
    print(f"\n{args.n - bad}/{args.n} runs at full marks"
          f"{f' beside {args.hogs} CPU hogs' if args.hogs else ''}; "
          f"time per run: median {times[len(times) // 2]:.1f} s, worst {times[-1]:.1f} s")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
