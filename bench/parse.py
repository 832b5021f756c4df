"""Parse throughput on one core: knowport's parser against LlamaIndex's CodeSplitter.

    .venv/bin/python -m bench.parse [--files 2000]

Both split the same real Python files (the standard library). Knowport's parser also names
every chunk's symbol and kind and keeps exact line spans; CodeSplitter returns bare strings.
"""

from __future__ import annotations

import argparse
import contextlib
import sysconfig
from pathlib import Path

from bench.workloads import say, timed
from services.ingestor.parse import parse_source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts)
    sources = [(str(p), p.read_text(encoding="utf-8", errors="replace"))
               for p in paths[:args.files]]
    mb = sum(len(text.encode("utf-8", "surrogatepass")) for _, text in sources) / 1e6

    from llama_index.core.node_parser import CodeSplitter

    splitter = CodeSplitter(language="python")
    with timed() as base:
        pieces = 0
        for _, text in sources:
            # It refuses files whose syntax tree starts with an error.
            with contextlib.suppress(ValueError):
                pieces += len(splitter.split_text(text))
    with timed() as ours:
        chunks = sum(len(parse_source(path, text, "python")) for path, text in sources)
    say(f"{len(sources)} files, {mb:.1f} MB, one core")
    say(f"CodeSplitter (baseline)  {base[0]:6.2f} s  {mb / base[0]:5.2f} MB/s  {pieces} "
        "unnamed pieces")
    say(f"knowport parse_source    {ours[0]:6.2f} s  {mb / ours[0]:5.2f} MB/s  {chunks} chunks "
        f"with symbols and line spans  {base[0] / ours[0]:.2f}x baseline speed")


if __name__ == "__main__":
    main()
