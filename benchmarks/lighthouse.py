"""Lighthouse on the built site: the home page and three content pages, mobile settings.

Serves site/ (building it first if it is missing, or with --build) on 127.0.0.1 and runs
Lighthouse 12 from node_modules with the system Chromium, --runs times per page (default 5),
keeping the run with the median performance score: one run's score moves by several points
from run to run on the same page, as Lighthouse's documentation on variability warns. Prints
the four category scores and each page's weight (bytes transferred), and exits 1 if a page
misses a target: accessibility 100, best practices 100, performance 95.

    python benchmarks/lighthouse.py [--site DIR] [--build] [--runs N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitetools.serve import serve  # noqa: E402 (after the path set-up, as a script)

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("DLCV_CHROMIUM", "/usr/bin/chromium")
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)
# The home page, two long content pages, and the newest page (attention: figures and formulas).
PAGES = [
    "",
    "hardware/gpus-tpus-and-cuda/",
    "fundamentals/how-networks-learn/",
    "vision/attention/",
]
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100}


def build(site: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def lighthouse(url: str) -> dict[str, Any]:
    """One Lighthouse run with its default (mobile, simulated throttling) settings."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(
            [
                str(LIGHTHOUSE),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={report}",
                f"--only-categories={','.join(CATEGORIES)}",
                f"--chrome-flags={CHROME_FLAGS} --user-data-dir={tmp}/profile",
            ],
            check=True,
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        return result


def summarize(page: str, report: dict[str, Any]) -> dict[str, Any]:
    scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    lost = {
        c: [
            f"{ref['id']} ({report['audits'][ref['id']]['score']})"
            for ref in report["categories"][c]["auditRefs"]
            if ref["weight"] > 0 and (report["audits"][ref["id"]]["score"] or 0) < 1
        ]
        for c in CATEGORIES
    }
    audits = report["audits"]
    return {
        "page": "/" + page,
        "scores": scores,
        "bytes": int(audits["total-byte-weight"]["numericValue"]),
        "metrics": {
            m: round(audits[m]["numericValue"])
            for m in (
                "first-contentful-paint",
                "largest-contentful-paint",
                "total-blocking-time",
                "speed-index",
            )
        },
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "lost": lost,
        "lighthouse": report["lighthouseVersion"],
        "chromium": report["environment"]["hostUserAgent"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="built site folder")
    parser.add_argument("--build", action="store_true", help="build the site first")
    parser.add_argument("--runs", type=int, default=5, help="runs per page (median kept)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--pages", nargs="+", default=PAGES, help="paths under the site root ('' is the home page)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"`--runs` must be a positive integer. Received: runs={args.runs}")
    if not LIGHTHOUSE.is_file():
        parser.error("no Lighthouse in node_modules: run `make setup` (npm ci) first")
    if args.build or not (args.site / "index.html").is_file():
        build(args.site)

    rows = []
    with serve(args.site) as url:
        for page in args.pages:
            runs = [summarize(page, lighthouse(url + page)) for _ in range(args.runs)]
            median = statistics.median_low(r["scores"]["performance"] for r in runs)
            row = next(r for r in runs if r["scores"]["performance"] == median)
            row["performance_runs"] = [r["scores"]["performance"] for r in runs]
            rows.append(row)

    print(f"Lighthouse {rows[0]['lighthouse']}, mobile settings; {rows[0]['chromium']}")
    header = f"{'page':36} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5} {'weight':>9}"
    print(header)
    print("-" * len(header))
    misses = []
    for row in rows:
        s = row["scores"]
        kib = f"{row['bytes'] / 1024:.0f} KiB"
        print(
            f"{row['page']:36} {s['performance']:>5} {s['accessibility']:>5} "
            f"{s['best-practices']:>5} {s['seo']:>5} {kib:>9}"
        )
        for category, target in TARGETS.items():
            if s[category] < target:
                misses.append(
                    f"{row['page']}: {category} {s[category]} < {target}; "
                    f"audits losing points: {', '.join(row['lost'][category]) or 'none'}"
                )
    print()
    for row in rows:
        m = row["metrics"]
        print(
            f"{row['page']:36} FCP {m['first-contentful-paint']} ms, "
            f"LCP {m['largest-contentful-paint']} ms, TBT {m['total-blocking-time']} ms, "
            f"SI {m['speed-index']} ms, CLS {row['cls']}; performance in each run: "
            f"{', '.join(map(str, row['performance_runs']))}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    for miss in misses:
        print(f"MISSED {miss}", file=sys.stderr)
    if not misses:
        print("\nall targets met: accessibility 100, best practices 100, performance >= 95")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
