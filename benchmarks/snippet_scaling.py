"""How the snippet pass grows with the site: the pull-request path must stay flat.

Makes a scratch copy of the repository whose snippet set is multiplied (x1, x3, x10: copies of
real snippets under new names), and measures in each:

- the full fresh pass (every snippet run, as publishing and a fresh clone do);
- the same pass split into shards as the publish workflow splits it (`sitetools.snippets plan`
  with a target of ``--shard-target`` seconds, at most ``--max-shards``): each shard is run
  fresh on its own, as one runner of the workflow's matrix runs it, and the longest shard is
  the matrix's wall time; the shards' caches are merged and must hold exactly the results of
  the single pass; and
- the pull-request path after a one-page change: the run that reuses every result whose key
  did not change, the determinism rerun of exactly the snippets that ran, and the Markdown
  diff against the results before the change.

It prints all three with their ratios to x1, and exits with status 1 when the pull-request path
at the largest factor takes more than 1.5 times what it takes at x1, or when merged shards miss
or add a result. The shard target defaults to 1.5 times the x1 fresh pass, so x1 runs as one
shard and the larger sets fan out. The copies are of cheap real
snippets (those with the default time budget whose output repeats, smallest first) so a run
takes minutes; ``--quick`` multiplies two of them and ``--base N`` chooses how many.

Run:  python benchmarks/snippet_scaling.py [--quick] [--base N] [--factors 1 3 10] [--jobs J]
      [--shard-target S] [--max-shards M]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitetools import snippets  # noqa: E402

# The pull-request path may grow by at most this much from the smallest to the largest factor.
FLAT_LIMIT = 1.5


def cheap_snippets(root: Path, count: int) -> list[Path]:
    """``count`` real snippets to copy: default budget, steady output, smallest files first."""
    found = []
    for path in snippets.discover(root):
        source = path.read_text(encoding="utf-8")
        if snippets.varies(source) or snippets.budget_of(source) > snippets.DEFAULT_BUDGET_S:
            continue
        found.append((len(source), path.relative_to(root / "snippets").as_posix(), path))
    if len(found) < count:
        raise SystemExit(f"error: `--base` must be at most {len(found)}. Received: base={count}")
    return [path for _, _, path in sorted(found)[:count]]


def scratch_copy(target: Path, base: Sequence[Path], factor: int) -> Path:
    """A copy of what the runner needs (dlcv, the lock) with each base snippet ``factor`` times."""
    target.mkdir(parents=True)
    shutil.copytree(ROOT / "dlcv", target / "dlcv", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("requirements.lock", "pyproject.toml"):
        shutil.copy2(ROOT / name, target / name)
    for path in base:
        rel = path.relative_to(ROOT / "snippets")
        for copy in range(factor):
            copied = rel if copy == 0 else rel.with_name(f"{rel.stem}_copy{copy}.py")
            (target / "snippets" / copied).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / "snippets" / copied)
    return target


def _quiet(_: str) -> None:
    pass


def _check(results: Sequence[snippets.Result]) -> None:
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(snippets.summarize(results))


def _entries(cache: Path) -> set[str]:
    return {entry.parent.name for entry in cache.glob("*/result.json")}


def measure_shards(root: Path, *, jobs: int, target_s: float, max_shards: int) -> list[float]:
    """Run the fresh pass as the publish matrix does; the wall time of each shard, in order.

    Raises:
        SystemExit: if the merged shards do not hold exactly the single pass's results.
    """
    shards = snippets.plan(root, target_s=target_s, max_shards=max_shards, jobs=max(1, jobs))
    times, caches = [], []
    for shard in shards:
        cache = root / ".cache" / f"shard-{shard}"
        start = time.perf_counter()
        _check(
            snippets.run_all(
                root,
                fresh=True,
                jobs=jobs,
                shard=(shard, len(shards)),
                cache_root=cache,
                check_budget=False,
                log=_quiet,
            )
        )
        times.append(time.perf_counter() - start)
        caches.append(cache)
    merged = root / ".cache" / "merged"
    merged.mkdir(parents=True)
    snippets.merge(merged, caches)
    single = _entries(root / ".cache" / "snippets")
    if _entries(merged) != single:
        raise SystemExit(
            f"merged shards differ from one run: missing {sorted(single - _entries(merged))}, "
            f"extra {sorted(_entries(merged) - single)}"
        )
    return times


def measure(root: Path, *, jobs: int) -> tuple[float, float, int]:
    """(full fresh pass s, pull-request path s, snippets that ran on the PR path).

    Leaves the fresh pass's results in the cache for `measure_shards` to compare with.
    """
    start = time.perf_counter()
    # Time, not budgets, is measured here: a loaded machine must not stop the benchmark.
    _check(snippets.run_all(root, fresh=True, jobs=jobs, check_budget=False, log=_quiet))
    fresh = time.perf_counter() - start

    cache = root / ".cache" / "snippets"
    base_cache = root / ".cache" / "snippets-base"
    shutil.copytree(cache, base_cache)  # what CI restores from the last publish run
    edited = snippets.discover(root)[0]  # a one-page change: one snippet edited
    original = edited.read_text(encoding="utf-8")
    edited.write_text(original + "# edited in a pull request\n")

    start = time.perf_counter()
    _check(snippets.run_all(root, jobs=jobs, check_budget=False, log=_quiet))
    changed = snippets.changed_since(root, base_cache)
    if changed:
        with tempfile.TemporaryDirectory() as rerun:
            _check(
                snippets.run_all(
                    root,
                    selectors=changed,
                    fresh=True,
                    jobs=jobs,
                    cache_root=Path(rerun),
                    check_budget=False,
                    log=_quiet,
                )
            )
    snippets.diff(base_cache, cache)
    pr = time.perf_counter() - start
    # Back to the fresh pass's set, which the shards must reproduce.
    edited.write_text(original, encoding="utf-8")
    shutil.rmtree(cache)
    shutil.copytree(base_cache, cache)
    return fresh, pr, len(changed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="multiply two snippets only")
    parser.add_argument("--base", type=int, default=None, help="real snippets to multiply")
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 3, 10])
    parser.add_argument("--jobs", type=int, default=None, help="snippets at once (default: cores)")
    parser.add_argument(
        "--shard-target",
        type=float,
        default=None,
        help="seconds a shard should take (default: 1.5 times the x1 fresh pass)",
    )
    parser.add_argument("--max-shards", type=int, default=4, help="most shards (default 4)")
    args = parser.parse_args(argv)
    count = args.base or (2 if args.quick else 6)
    if count < 1 or any(f < 1 for f in args.factors) or args.max_shards < 1:
        parser.error(
            "`--base`, `--factors` and `--max-shards` must be positive. Received: "
            f"{count}, {args.factors}, {args.max_shards}"
        )
    if args.shard_target is not None and not args.shard_target > 0:
        parser.error(f"`--shard-target` must be positive. Received: {args.shard_target}")
    base = cheap_snippets(ROOT, count)
    jobs = args.jobs or 0
    print(f"multiplying {len(base)} real snippets: {', '.join(p.name for p in base)}")
    print(
        f"{'factor':>6}  {'snippets':>8}  {'fresh s':>8}  {'x1':>5}  {'shards':>6}  "
        f"{'longest s':>9}  {'x1':>5}  {'PR path s':>9}  {'x1':>5}  ran"
    )
    rows = []
    target = args.shard_target
    with tempfile.TemporaryDirectory(prefix="dlcv-scaling-") as scratch:
        for factor in sorted(args.factors):
            root = scratch_copy(Path(scratch) / f"x{factor}", base, factor)
            fresh, pr, ran = measure(root, jobs=jobs)
            if target is None:
                target = 1.5 * fresh  # the smallest set fits in one shard
            shard_times = measure_shards(
                root, jobs=jobs, target_s=target, max_shards=args.max_shards
            )
            rows.append((factor, fresh, max(shard_times), pr))
            fresh_1, longest_1, pr_1 = rows[0][1:]
            print(
                f"{'x' + str(factor):>6}  {len(base) * factor:>8}  {fresh:>8.1f}  "
                f"{fresh / fresh_1:>5.2f}  {len(shard_times):>6}  {max(shard_times):>9.1f}  "
                f"{max(shard_times) / longest_1:>5.2f}  {pr:>9.1f}  {pr / pr_1:>5.2f}  {ran}",
                flush=True,
            )
            shutil.rmtree(root, ignore_errors=True)
    print(f"shard target {target:.1f} s, at most {args.max_shards} shards; merged shards matched")
    growth = rows[-1][3] / rows[0][3]
    if growth > FLAT_LIMIT:
        print(
            f"FAIL: the pull-request path grew {growth:.2f}x from x{rows[0][0]} to "
            f"x{rows[-1][0]} (limit {FLAT_LIMIT}x)"
        )
        return 1
    print(f"ok: the pull-request path grew {growth:.2f}x (limit {FLAT_LIMIT}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
