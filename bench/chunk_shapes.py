"""Chunk shapes on installed packages nobody here wrote: how long the parse stage's chunks are.

    .venv/bin/python -m bench.chunk_shapes [--packages rich,click]

Parses every `.py` file of each package with the real parser (default limits) and prints, per
package and pooled: files, chunks, the median and 90th percentile of a chunk's length in
lines, the share of chunks over 80 lines, the longest chunk, and the chunks per kind. Giant
chunks make one search hit "contain" a whole class (issue 12); this shows how many there are.
No models, no storage: it runs in seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sysconfig
from collections import Counter
from pathlib import Path

from services.ingestor.parse import ParsedChunk, parse_source

LONG_LINES = 80


def package_chunks(package: str) -> tuple[int, list[ParsedChunk]]:
    """The number of `.py` files of an installed package and all their chunks."""
    root = Path(sysconfig.get_paths()["purelib"]) / package
    files = sorted(root.rglob("*.py"))
    chunks: list[ParsedChunk] = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        chunks += parse_source(str(path.relative_to(root)), text, "python")
    return len(files), chunks


def shape(name: str, files: int, chunks: list[ParsedChunk]) -> str:
    lengths = sorted(c.end_line - c.start_line + 1 for c in chunks)
    long_share = sum(n > LONG_LINES for n in lengths) / len(lengths)
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    kinds = Counter(c.kind for c in chunks)
    by_kind = ", ".join(f"{kind} {count}" for kind, count in kinds.most_common())
    median = statistics.median(lengths)
    return (
        f"{name:10} {files:5} files {len(chunks):6} chunks  median {median:5.1f}"
        f"  p90 {p90:4} lines  over {LONG_LINES}: {100 * long_share:4.1f} %"
        f"  longest {lengths[-1]:4}  ({by_kind})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", default="rich,click,jinja2,httpx,attr,starlette")
    args = parser.parse_args()
    pooled_files, pooled = 0, []
    for package in args.packages.split(","):
        files, chunks = package_chunks(package)
        print(shape(package, files, chunks))
        pooled_files, pooled = pooled_files + files, pooled + chunks
    print(shape("all", pooled_files, pooled))


if __name__ == "__main__":
    main()
