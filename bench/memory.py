"""Memory: training on a 500 MB corpus stays under 1.5 x corpus bytes + 1 GB of peak RSS.

    python bench/memory.py [--mb 500]

Writes a synthetic corpus to a temporary folder, trains a few steps in a child process
(which encodes the corpus in chunks into a memory-mapped cache, trains, and evaluates on
the full validation split), reads the child's peak RSS, and deletes everything.
Prints one JSON object on its last line.
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

import numpy as np

CHILD = """
import json, resource, sys
from pathlib import Path
from playground.domains import text_domain
from playground.run import run_training
settings = {"layers": 1, "hidden": 32, "embed": 16, "batch_size": 256, "seq_len": 128,
            "max_steps": 3, "eval_every": 1000, "sample_every": 0}
for event in run_training(text_domain(Path(sys.argv[1])), settings, Path(sys.argv[2])):
    pass
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"last_event": event.to_dict(), "peak_rss": peak}))
"""


def write_corpus(path: Path, mb: int) -> int:
    """Lines of random words over a 60-character alphabet (plus a few non-ASCII letters)."""
    alphabet = np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,;:!?'-  ", dtype=np.uint8)
    rng = np.random.default_rng(0)
    chunk = 1 << 24
    with open(path, "wb") as f:
        for _ in range(mb * 2**20 // chunk):
            data = alphabet[rng.integers(0, len(alphabet), chunk)]
            data[rng.integers(0, chunk, chunk // 60)] = ord("\n")
            f.write(data.tobytes())
        f.write("é ü ß\n".encode())
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "big.txt"
        size = write_corpus(corpus, args.mb)
        env = {**os.environ, "PLAYGROUND_HOME": tmp}
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(corpus), str(Path(tmp) / "run")],
                             capture_output=True, text=True, env=env)
        if out.returncode:
            raise SystemExit(out.stderr)
        child = json.loads(out.stdout.strip().splitlines()[-1])
        seconds = time.perf_counter() - start
    limit = 1.5 * size + 2**30
    print(json.dumps({"corpus_bytes": size, "peak_rss_bytes": child["peak_rss"], "limit_bytes": limit,
                      "ok": child["peak_rss"] < limit, "peak_rss_over_corpus": child["peak_rss"] / size,
                      "seconds": seconds}))


if __name__ == "__main__":
    main()
