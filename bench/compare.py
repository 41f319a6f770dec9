"""Cost grows with the page, not the data: ``python -m bench.compare SMALL.json LARGE.json``.

Reads two ``python -m bench --json`` files of the same code on data sets of different
sizes (the issue: 25,000 and 250,000 persons) and prints, for each query of both, the
latency at each size and their ratio; the target is the households page within 1.2x.
The lower bound's ratio is printed beside it: when the database itself slows down with
the data (the bound grows too), that part is not the server's. The figures are side A's
(``--compare-setting``); side B's ratio is printed too when both files have it.
"""

import argparse
import json
from pathlib import Path
from typing import Any

TARGET = 1.2


def rows(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The timed rows by name (side A's latency is ``server``, side B's ``server_b``)."""
    return {row["name"].split(" (")[0]: row for row in results["rows"] if "server" in row}


def report(small: dict[str, Any], large: dict[str, Any]) -> str:
    before, after = rows(small), rows(large)
    with_b = any("server_b" in row for row in before.values()) and any(
        "server_b" in row for row in after.values()
    )
    lines = [
        f"small: {small['data']} ({small['database']}, {small['date']})",
        f"large: {large['data']} ({large['database']}, {large['date']})",
        "",
        f"{'query':<34} {'small ms':>9} {'large ms':>9} {'ratio':>6}"
        + (f" {'B ratio':>8}" if with_b else "")
        + f" {'bound ratio':>12}",
    ]
    lines.append("-" * len(lines[-1]))
    verdict = None
    for name, row in before.items():
        other = after.get(name)
        if other is None:
            continue
        a, b = row["server"]["median_ms"], other["server"]["median_ms"]
        line = f"{name:<34} {a:>9.1f} {b:>9.1f} {b / a:>5.2f}x"
        if with_b:
            side_b = ""
            if "server_b" in row and "server_b" in other:
                side_b = f"{other['server_b']['median_ms'] / row['server_b']['median_ms']:.2f}x"
            line += f" {side_b:>8}"
        bound = ""
        if "bound" in row and "bound" in other:
            bound = f"{other['bound']['median_ms'] / row['bound']['median_ms']:.2f}x"
        lines.append(f"{line} {bound:>12}")
        if name.startswith("households page"):
            verdict = b / a
    if verdict is not None:
        holds = "holds" if verdict <= TARGET else "MISSED"
        lines += ["", f"households page, large / small: {verdict:.2f} (target <= {TARGET}) {holds}"]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    p.add_argument("small", type=Path, help="--json file of the run on the smaller data set")
    p.add_argument("large", type=Path, help="--json file of the run on the larger data set")
    args = p.parse_args()
    print(report(json.loads(args.small.read_text()), json.loads(args.large.read_text())))


if __name__ == "__main__":
    main()
