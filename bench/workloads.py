"""Real, offline workloads for the benchmarks: source files already on this machine."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def python_sources() -> Iterator[tuple[Path, Path]]:
    """(root, file) for every .py of the standard library and then of its site-packages, in
    a fixed order, so every run and every machine of one kind sees the same tree."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    roots = [stdlib, Path(sysconfig.get_paths()["purelib"])]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" in path.parts or (root == stdlib and "site-packages" in path.parts):
                continue
            yield root, path


def copy_tree(target: Path, max_files: int) -> tuple[int, int]:
    """Copy up to `max_files` real .py files under `target`; returns (files, bytes)."""
    files = size = 0
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for root, path in python_sources():
        if files >= max_files:
            break
        # One top folder per root keeps the files of the two roots apart.
        dest = target / ("stdlib" if root == stdlib else "site") / path.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        files += 1
        size += dest.stat().st_size
    return files, size


@contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t: ...` then t[0] is the elapsed wall time in seconds."""
    result: list[float] = []
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.append(time.perf_counter() - start)


def say(line: str) -> None:
    print(line, flush=True, file=sys.stdout)


def parsed_sources(parse: Callable[[tuple[str, str]], T | None], chunks_of: Callable[[T], int],
                   target_chunks: int) -> list[T]:
    """`parse` of (workspace-relative path, file) over python_sources() in a process pool on
    every core, until the results hold about `target_chunks` chunks; None results are left
    out. Paths start with `stdlib/` or `site/`, so the two roots never collide."""
    found: list[T] = []
    total = 0
    jobs = ((f"{'stdlib' if 'site-packages' not in str(p) else 'site'}/"
             f"{p.relative_to(root).as_posix()}", str(p)) for root, p in python_sources())
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(os.cpu_count() or 2, mp_context=context) as pool:
        for result in pool.map(parse, jobs, chunksize=16):
            if result is None:
                continue
            found.append(result)
            total += chunks_of(result)
            if total >= target_chunks:
                pool.shutdown(wait=False, cancel_futures=True)
                break
    return found
