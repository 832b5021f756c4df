"""The local docs index (services/mcp_bridge/docs_index.py) against grep, on a real corpus.

    .venv/bin/python -m bench.docs_index [--files 10000] [--queries 200] [--grep-queries 20]

The corpus is the first `--files` .py files of the standard library and then site-packages
(bench/workloads.py), copied to a temporary folder and indexed with the pattern `*.py`. Python
source stands in for documentation: offline there are only ~6,500 .md/.rst/.txt files and most
are a few hundred bytes, while these average ~13 KB, so every posting list is longer than a
docs tree of the same file count would give: the harder case.

Queries come from the corpus itself with a fixed seed: AND and OR pair two of its 500 most
common words (by the files they occur in, stop words and one-letter words left out); phrases
are two adjacent words of a random file. Reported:
- build time (the lazy first build), the index's size and the process's RSS growth;
- p50 / p99 of `search()` per mode (limit 20, snippets included; refresh kept out by its
  rate limit, and timed apart);
- the same queries answered by `grep -rli` (and `rg -l` when installed) over the same files
  in the same run, with the index's notion of a word (bounded by anything but a letter or
  digit, so `grep -w` would not do: it counts "_" as a letter), on the first `--grep-queries`
  of each mode: the ratio of the medians, and whether both found the same number of files;
- `refresh()` with nothing changed (the cost a search pays at most once per interval), and
  the incremental update after one edited, one new and one deleted file (median of five, each
  after a settling refresh: a just-changed file is read once more by the refresh after the
  one that saw the change, because its mtime was too recent to trust).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.workloads import copy_tree, say, timed
from services.mcp_bridge.docs_index import DocsIndex
from services.mcp_bridge.docs_query import STOP_WORDS, tokenize

Query = tuple[str, list[str]]  # (what search() gets, the words for grep)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def corpus_queries(tree: Path, count: int, seed: int) -> dict[str, list[Query]]:
    """`count` queries per mode, drawn from the corpus's own words."""
    rng = random.Random(seed)
    files = sorted(tree.rglob("*.py"))
    document_frequency: Counter[str] = Counter()
    for path in files:
        document_frequency.update(set(tokenize(path.read_text(errors="replace"))))
    common = [w for w, _ in document_frequency.most_common()
              if w not in STOP_WORDS and len(w) > 1 and w.isalpha()][:500]
    pairs = [rng.sample(common, 2) for _ in range(count)]
    phrases: list[Query] = []
    while len(phrases) < count:
        words = tokenize(rng.choice(files).read_text(errors="replace"))
        if len(words) < 2:
            continue
        at = rng.randrange(len(words) - 1)
        pair = words[at:at + 2]
        if all(w not in STOP_WORDS and w.isalpha() for w in pair):
            phrases.append((f'"{pair[0]} {pair[1]}"', pair))
    return {
        "and": [(f"{a} {b}", [a, b]) for a, b in pairs],
        "or": [(f"{a} OR {b}", [a, b]) for a, b in pairs],
        "phrase": phrases,
    }


def word(text: str) -> str:
    """An extended regex for `text` as a whole word the way the index sees words: bounded by
    anything but a letter or digit (grep -w would count "_" as part of a word)."""
    return f"'(^|[^[:alnum:]]){text}($|[^[:alnum:]])'"


def grep_command(tool: str, mode: str, words: list[str], tree: Path) -> str:
    """A shell command listing the files that match, with the index's semantics."""
    first, second = words
    grep = "rg -l -i" if tool == "rg" else "grep -rli -E"
    if mode == "and":  # the files with the first word, searched for the second
        nul = "-0" if tool == "rg" else "-Z"
        return f"{grep} {nul} -e {word(first)} {tree} | xargs -0 -r {grep} -e {word(second)}"
    if mode == "or":
        return f"{grep} -e {word(first)} -e {word(second)} {tree}"
    # The phrase may span a line break, as in the index: rg -U, or grep -z (one "line" a file)
    phrase = f"'(?<![[:alnum:]]){first}[\\W_]+{second}(?![[:alnum:]])'"
    return f"rg -l -i -U -P {phrase} {tree}" if tool == "rg" else \
        f"grep -rliz -P {phrase} {tree}"


def time_shell(command: str) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, len(done.stdout.splitlines())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_searches(index: DocsIndex, queries: list[Query]) -> tuple[list[float], list[int]]:
    seconds, totals = [], []
    for query, _ in queries:
        started = time.perf_counter()
        result = index.search(query)
        seconds.append(time.perf_counter() - started)
        totals.append(result.total)
    return seconds, totals


def report_refreshes(index: DocsIndex, tree: Path, files: int, runs: int = 5) -> None:
    """Median and worst of `runs` refreshes after each kind of change."""

    def measure(change: Callable[[int], None]) -> str:
        seconds, changes = [], Counter()
        for run in range(runs):
            # Settle first: a file changed by the previous run is read once more by the next
            # refresh (its mtime was too recent to trust); that is not this run's change.
            time.sleep(0.05)
            index.refresh()
            change(run)
            report = index.refresh()
            seconds.append(report.seconds)
            changes.update(added=report.added, changed=report.changed, removed=report.removed)
        counted = ", ".join(f"{kind} {n}" for kind, n in sorted(changes.items()) if n)
        return (f"median {statistics.median(seconds) * 1e3:.1f} ms, worst "
                f"{max(seconds) * 1e3:.1f} ms over {runs} ({counted or 'no changes'})")

    sources = sorted(tree.rglob("*.py"))
    probes = [sources[(i + 1) * len(sources) // (runs + 1)] for i in range(runs)]

    def edit(run: int) -> None:
        with probes[run].open("a") as handle:
            handle.write(f"\n# a freshly added zyzzyva{run} line\n")

    new_files = [tree / "stdlib" / f"zz_new_module_{run}.py" for run in range(runs)]
    say(f"refresh, nothing changed ({files} files): {measure(lambda run: None)}")
    say(f"refresh after one edited file: {measure(edit)} (target <= 50 ms)")
    say(f"  the edits are found: {index.search('zyzzyva0').total} file(s)")
    say(f"refresh after one new file: "
        f"{measure(lambda run: new_files[run].write_text('quuxotic = 1'))}")
    say(f"refresh after one deleted file: {measure(lambda run: new_files[run].unlink())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="files in the corpus")
    parser.add_argument("--queries", type=int, default=200, help="queries per mode")
    parser.add_argument("--grep-queries", type=int, default=20,
                        help="of those, how many per mode grep answers too")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowport-bench-docs-"))
    try:
        tree = work / "tree"
        files, size = copy_tree(tree, args.files)
        say(f"corpus: {files} real .py files, {size / 1e6:.1f} MB; {os.cpu_count()} cores")
        queries = corpus_queries(tree, args.queries, args.seed)

        # The rate limit keeps refresh out of the query timings; it is timed on its own below.
        # Nothing skipped by folder name (the default skips build/, vendor/, ...): grep sees
        # every file too.
        index = DocsIndex(tree, ("*.py",), min_refresh_interval=3600, skip_dir_names=())
        before = rss_mb()
        with timed() as build:
            index.refresh()
        stats = index.stats()
        say(f"build: {build[0]:.2f} s ({size / 1e6 / build[0]:.1f} MB/s); {stats.files} files, "
            f"{stats.tokens / 1e6:.1f} M words, {stats.words} distinct, "
            f"{stats.postings / 1e6:.2f} M postings; RSS +{rss_mb() - before:.0f} MB")
        settle = index.refresh()  # files copied in the last few ms are looked at once more
        say(f"settling refresh: {settle.seconds * 1e3:.1f} ms, ~{settle.changed}")

        tools = ["grep"] + (["rg"] if shutil.which("rg") else [])
        say(f"\n{'mode':<7} {'p50 ms':>8} {'p99 ms':>8} {'mean hits':>10}   "
            + "   ".join(f"{t} p50 ms  ratio" for t in tools))
        for mode, mode_queries in queries.items():
            time_searches(index, mode_queries[:5])  # warm the content cache a little
            seconds, totals = time_searches(index, mode_queries)
            line = (f"{mode:<7} {percentile(seconds, 0.5) * 1e3:8.3f} "
                    f"{percentile(seconds, 0.99) * 1e3:8.3f} {statistics.mean(totals):10.0f}")
            shared = mode_queries[:args.grep_queries]
            ours = statistics.median(seconds[:len(shared)])
            for tool in tools:
                runs = [time_shell(grep_command(tool, mode, words, tree)) for _, words in shared]
                theirs = statistics.median(s for s, _ in runs)
                agree = sum(n == t for (_, n), t in zip(runs, totals, strict=False))
                line += f"   {theirs * 1e3:11.1f}  {theirs / ours:5.0f}x"
                line += f" (same files found: {agree}/{len(shared)})"
            say(line)

        say("")
        report_refreshes(index, tree, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
