"""A parse worker's memory stays bounded on pathological files: a 5 MB single line of
minified JavaScript once took a worker to ~90 times its size (its tree-sitter tree)."""

from __future__ import annotations

import multiprocessing
import resource
from concurrent.futures import ProcessPoolExecutor

from services.ingestor.chunking import parse_to_chunks

MB = 1024 * 1024
# Generous: the text itself crosses into the worker and back as chunks (a few copies of
# 5 MB); the tree of such a line alone cost ~440 MB.
MAX_GROWTH_MB = 150


def minified_js(size: int) -> str:
    parts, length, i = [], 0, 0
    while length < size:
        part = f"function f{i}(a,b){{var c=a+b*{i % 97};if(c>3){{return g(c,\"x{i}\")}}return c}}"
        parts.append(part)
        length, i = length + len(part) + 1, i + 1
    return ";".join(parts)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def test_a_worker_parsing_a_5mb_one_line_file_stays_within_bounded_memory() -> None:
    text = minified_js(5 * MB)
    # A pool of its own: the peak of a worker other tests used says nothing about this file.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        warm = pool.submit(parse_to_chunks, "warm.js", "function f() { return 1 }\n",
                           "javascript").result(timeout=60)
        assert warm  # grammars loaded: what is measured next is the file
        before = pool.submit(peak_rss_mb).result(timeout=60)
        chunks = pool.submit(parse_to_chunks, "app.min.js", text, "javascript").result(
            timeout=120)
        after = pool.submit(peak_rss_mb).result(timeout=60)
    assert "".join(c.text for c in chunks) == text
    assert after - before <= MAX_GROWTH_MB, f"worker peak grew {after - before:.0f} MB"
