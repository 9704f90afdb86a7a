"""Print the results table of docs/performance.md from bench/results/*.json:

.venv/bin/python -m bench.report
"""

from __future__ import annotations

import json
from typing import Any

from bench.common import RESULTS, SIZES

ORDER = ("resolve", "case_list", "sweep", "assessment", "import")


def _cell(name: str, r: dict[str, Any] | None) -> str:
    if r is None:
        return "—"
    if "error" in r:
        return f"failed: {r['error'][:60]}"
    if name == "resolve":
        pg = f", PostGIS ×{r['ratio_vs_postgis']:.0f}" if r.get("ratio_vs_postgis") else ""
        return (
            f"{r['ours_points_per_s'] / 1e6:.1f} M pts/s ({r['cells']:,} cells); "
            f"STRtree ×{r['ratio_vs_strtree']:.0f}{pg}; single {r['single_lookup_us']:.2f} µs"
        )
    if name == "case_list":
        return (
            f"p95 {r['ours_p95_ms']:.0f} ms vs {r['baseline_p95_ms']:.0f} ms "
            f"= **{r['ratio']:.2f}×**"
        )
    extra = ""
    if name == "sweep":
        extra = f"; marking alone {r['ratio_marking']:.2f}× ({r['past_due']:,} past due)"
    if name == "assessment":
        extra = f"; live scoreboard {r['ours_scoreboard_seconds']:.2f} s"
    if name == "import":
        extra = f" ({r['rows']:,} rows)"
    return (
        f"{r['ours_seconds']:.2f} s vs {r['baseline_seconds']:.3f} s = **{r['ratio']:.2f}×**{extra}"
    )


def main() -> int:
    data: dict[tuple[str, str], dict[str, Any]] = {}
    for path in RESULTS.glob("*.json"):
        r = json.loads(path.read_text(encoding="utf-8"))
        data[(r["figure"], r["size"])] = r
    sizes = [s for s in SIZES if any((f, s) in data for f in ORDER)]
    print("| figure | " + " | ".join(sizes) + " | goal | met at largest |")
    print("|---" * (len(sizes) + 3) + "|")
    for name in ORDER:
        cells = [_cell(name, data.get((name, s))) for s in sizes]
        last = next((data[(name, s)] for s in reversed(sizes) if (name, s) in data), None)
        goal = last.get("goal", "") if last else ""
        met = "yes" if last and last.get("goal_met") else "no"
        print(f"| {name} | " + " | ".join(cells) + f" | {goal} | {met} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
