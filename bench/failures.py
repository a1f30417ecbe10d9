"""What limits a domain's valid rate: the judged samples that ``bench/validity.py --keep DIR``
left in DIR/<domain>/samples.json, their valid rate by length (quartiles of the sample's
characters) and the failing categories in each.

    python bench/failures.py DIR [--domains latex,wikipedia]

Pure Python over the kept verdicts (no model, no checker): it can run beside other work. A
rate that falls with length says the model loses structure over a long unit; a flat one says
the errors are local.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from pathlib import Path


def by_length(samples: list[dict], bins: int = 4) -> list[dict]:
    """The samples sorted by length and cut into ``bins`` equal groups, each with its length
    range, valid rate and commonest failing categories."""
    ordered = sorted(samples, key=lambda s: len(s["text"]))
    groups = []
    for i in range(bins):
        group = ordered[i * len(ordered) // bins : (i + 1) * len(ordered) // bins]
        if not group:
            continue
        failing = Counter(s["score"]["category"] for s in group if not s["score"]["valid"])
        groups.append({
            "chars": [len(group[0]["text"]), len(group[-1]["text"])],
            "n": len(group),
            "valid": round(sum(s["score"]["valid"] for s in group) / len(group), 3),
            "failing": dict(failing.most_common(3)),
        })
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kept", type=Path, help="the folder bench/validity.py --keep wrote")
    parser.add_argument("--domains", help="comma-separated (default: every domain kept there)")
    args = parser.parse_args()
    names = args.domains.split(",") if args.domains else sorted(p.parent.name for p in args.kept.glob("*/samples.json"))
    report = {}
    for name in names:
        samples = json.loads((args.kept / name / "samples.json").read_text())
        report[name] = {"n": len(samples),
                        "median_chars": statistics.median(len(s["text"]) for s in samples),
                        "by_length": by_length(samples)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
