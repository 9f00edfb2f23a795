"""`make bench-scale`: does Cartwheel stay as fast with a large shop's data? (issue 7)

    python -m bench.scale [--seconds 20] [--users 16] [--rounds 1]

Runs `bench.run` twice per round with the `browse` and `checkout_guest` scenarios: on a shop
of 1,000 products seeded through the API, then on the same plus the large shop of
bench.large_shop (100,000 products, 200,000 customers, 1,000,000 historical orders written
with bulk SQL). Compares, large over small:

- product list and product detail p99 (target: within 2x);
- checkout CPU per order placed, all server roles (target: within 1.5x).

Prints one JSON line (`{"bench":"cartwheel-scale", ...}`) on stdout and the comparison table
on stderr; each run keeps its own results directory under `bench-results/scale-<ts>/`.
Exit status 1 when a run fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bench import run
from tests.e2e.stack import ROOT

SCENARIOS = "browse,checkout_guest"
TARGETS = {"product list p99": 2.0, "product detail p99": 2.0, "checkout CPU per order": 1.5}


def figures(result: dict) -> dict[str, float | None]:
    """The compared figures of one bench.run result."""
    browse = result["scenarios"].get("browse", {})
    checkout = result["scenarios"].get("checkout_guest", {})
    requests = browse.get("requests", {})
    return {"product list p99": requests.get("product list", {}).get("p99"),
            "product detail p99": requests.get("product detail", {}).get("p99"),
            "checkout CPU per order": (checkout.get("cpuMsPerOp") or {}).get("total"),
            "checkouts per s": checkout.get("perSecond")}


def compare(small: dict, large: dict) -> dict[str, dict]:
    """{figure: {"small", "large", "ratio", "target", "met"}} (ratio large / small)."""
    rows = {}
    for name in small:
        a, b = small[name], large[name]
        ratio = round(b / a, 2) if a and b is not None else None
        target = TARGETS.get(name)
        rows[name] = {"small": a, "large": b, "ratio": ratio, "target": target,
                      "met": None if target is None or ratio is None else ratio <= target}
    return rows


def render(rounds: list[dict]) -> str:
    lines = ["| figure | 1,000 products | large shop | large / small | target |", "|---|---|---|---|---|"]
    for i, rows in enumerate(rounds, start=1):
        for name, row in rows.items():
            target = f"<= {row['target']}x" if row["target"] else "-"
            verdict = "" if row["met"] is None else (" ok" if row["met"] else " MISSED")
            lines.append(f"| {name} (round {i}) | {row['small']} | {row['large']} | {row['ratio']}x{verdict} "
                         f"| {target} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    out = ROOT / "bench-results" / f"scale-{time.strftime('%Y%m%d-%H%M%S')}"
    rounds = []
    for i in range(1, args.rounds + 1):
        results = {}
        for label, extra in (("small", []), ("large", ["--large-shop"])):
            target = out / f"round{i}-{label}"
            common = ["--scenarios", SCENARIOS, "--products", "1000", "--seconds", str(args.seconds),
                      "--users", str(args.users), "--db-scenarios", "checkout_guest", "--out", str(target)]
            if run.main(common + extra) != 0:
                print(json.dumps({"error": f"bench.run failed ({label}, round {i})", "logs": str(target)}))
                return 1
            results[label] = json.loads((target / "result.json").read_text())
        rounds.append(compare(figures(results["small"]), figures(results["large"])))
    print(json.dumps({"bench": "cartwheel-scale", "rounds": rounds, "logs": str(out)}, separators=(",", ":")))
    print("\n" + render(rounds), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
