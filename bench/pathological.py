"""Peak memory and outcome of an ingest over pathological files: minified JavaScript and
one-line JSON, up to two 10 MB single lines.

    .venv/bin/python -m bench.pathological [--scale 1.0]

The pathological workspace is built from real files nobody here wrote: minified JavaScript
found on this machine (/usr/share/javascript, /usr/lib/node_modules) and the iso-codes JSON
tables written on one line, plus the shapes the issue names (a 2 MB one-line JSON, a 5 MB
single line, two 10 MB single lines) made by joining those same real texts without line ends.
The baseline is an equally large workspace of real .py files (standard library, then
site-packages), ingested the same way in the same run; and, for what the tree costs before it
holds any data, a workspace of one small .py file (start-up: imports and parse workers).

Each ingest is a real `knowport ingest --local` process (scan, parse in its worker pool,
persist; EMBEDDING_BACKEND=none, no LLM) with STORAGE_TYPE=memory and with the embedded
PostgreSQL; its whole process tree (CLI, parse workers; not the PostgreSQL server, a separate
service) is sampled for resident memory every 20 ms. Prints the peak beside the baseline's, and
the job's outcome (state, files indexed / skipped / failed). Target: <= 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.workloads import python_sources, say

REPO = Path(__file__).resolve().parents[1]
KNOWPORT = Path(sys.executable).with_name("knowport")
MINIFIED_ROOTS = (Path("/usr/share/javascript"), Path("/usr/lib/node_modules"))
JSON_ROOT = Path("/usr/share/iso-codes/json")
TARGET_MB = 300
MB = 1_000_000


def real_minified() -> list[Path]:
    found = []
    for root in MINIFIED_ROOTS:
        if root.is_dir():
            found += sorted(p for p in root.rglob("*.min.js") if p.stat().st_size > 20_000)
    return found


def one_line_json(path: Path) -> str:
    return json.dumps(json.loads(path.read_text(encoding="utf-8")), separators=(",", ":"),
                      ensure_ascii=False)


def joined(texts: list[str], size: int) -> str:
    """`size` characters of the real texts joined without line ends: one line."""
    out, length = [], 0
    while length < size:
        for text in texts:
            piece = text.replace("\n", " ")
            out.append(piece)
            length += len(piece) + 1
            if length >= size:
                break
    return ";".join(out)[:size]


def pathological_workspace(root: Path, scale: float) -> int:
    """Writes the pathological files under `root`; returns their total bytes."""
    minified = real_minified()
    tables = sorted(JSON_ROOT.glob("*.json")) if JSON_ROOT.is_dir() else []
    if not minified or not tables:
        raise SystemExit("no minified JavaScript or iso-codes JSON on this machine")
    # Not vendor/: the scan skips dependency folders, and these files are to be indexed.
    (root / "assets").mkdir(parents=True)
    js_texts = []
    for i, path in enumerate(minified):
        text = path.read_text(encoding="utf-8", errors="replace")
        js_texts.append(text)
        (root / "assets" / f"{i:02d}-{path.name}").write_text(text, encoding="utf-8")
    (root / "data").mkdir()
    json_texts = []
    for path in tables:
        text = one_line_json(path)
        json_texts.append(text)
        (root / "data" / path.name).write_text(text, encoding="utf-8")
    shapes = {"data/two-mb.json": (json_texts, 2), "blob/five-mb.min.js": (js_texts, 5),
              "blob/ten-mb-a.min.js": (js_texts, 10), "blob/ten-mb-b.json": (json_texts, 10)}
    (root / "blob").mkdir()
    for name, (texts, megabytes) in shapes.items():
        (root / name).write_text(joined(texts, int(megabytes * MB * scale)), encoding="utf-8")
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def normal_workspace(root: Path, size: int) -> int:
    """Real .py files under `root` up to `size` bytes; returns their total bytes."""
    total = 0
    for source_root, path in python_sources():
        if total >= size:
            break
        dest = root / path.relative_to(source_root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        total += dest.stat().st_size
    return total


def tree_rss(process: psutil.Process) -> tuple[int, int, int]:
    """(the tree's RSS, the ingest process's, its largest child's), the database left out."""
    total = main = child = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            if "postgres" not in member.name():  # the database is its own service
                rss = member.memory_info().rss
                total += rss
                main, child = (rss, child) if member is process else (main, max(child, rss))
        except psutil.NoSuchProcess:
            pass
    return total, main, child


def ingest(workspace: Path, backend: str, data_dir: Path) -> tuple[list[float], dict, int]:
    """(peak RSS in MB of the process tree, of the ingest process and of its largest child;
    the job as JSON; exit code) of one ingest."""
    env = {**os.environ, "WORKSPACE": str(workspace), "STORAGE_TYPE": backend,
           "EMBEDDING_BACKEND": "none", "OPENAI_API_BASE": "", "KNOWPORT_DATA_DIR": str(data_dir),
           "INGEST_PARSE_WORKERS": "2"}
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen([str(KNOWPORT), "ingest", "--local", "--json"], env=env,
                                 stdout=out, stderr=subprocess.DEVNULL, cwd=REPO)
        process, peak = psutil.Process(child.pid), (0, 0, 0)
        while child.poll() is None:
            try:
                peak = tuple(map(max, peak, tree_rss(process)))
            except psutil.NoSuchProcess:
                break
            time.sleep(0.02)
        code = child.wait()
        out.seek(0)
        text = out.read().decode()
    job = json.loads(text) if text.strip().startswith("{") else {"message": text[-300:]}
    return [p / 2**20 for p in peak], job, code


def outcome(job: dict, code: int) -> str:
    progress = job.get("progress", {})
    state = job.get("state", "?").removeprefix("INGEST_JOB_STATE_").lower()
    return (f"{state} (exit {code}): {progress.get('files_persisted', 0)} indexed, "
            f"{progress.get('files_skipped', 0)} skipped, {progress.get('files_failed', 0)} "
            f"failed, {progress.get('chunks_persisted', 0)} chunks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="of the generated shapes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="knowport-pathological-") as scratch:
        base = Path(scratch)
        size = pathological_workspace(base / "pathological", args.scale)
        normal = normal_workspace(base / "normal", size)
        normal_workspace(base / "start-up", 1)  # the first file only
        say(f"pathological workspace: {size / MB:.1f} MB; baseline: {normal / MB:.1f} MB of "
            "real .py files")
        worst = 0.0
        for backend in ("memory", "postgres"):
            data_dir = base / f"data-{backend}"
            for name in ("start-up", "normal", "pathological"):
                (peak, main, child), job, code = ingest(base / name, backend, data_dir)
                label = {"normal": "baseline (.py)"}.get(name, name)
                say(f"{backend:<8} {label:<15} peak RSS {peak:4.0f} MB (ingest process {main:4.0f}"
                    f" MB, largest worker {child:4.0f} MB)   {outcome(job, code)}")
                if name == "pathological":
                    verdict = "met" if peak <= TARGET_MB else "NOT met"
                    say(f"{backend:<8} target: peak RSS <= {TARGET_MB} MB on the pathological "
                        f"workspace: {verdict} ({peak:.0f} MB)")
                    worst = max(worst, peak)
        verdict = "met" if worst <= TARGET_MB else "NOT met"
        say(f"target: peak RSS <= {TARGET_MB} MB on the pathological workspace, both backends: "
            f"{verdict} (worst {worst:.0f} MB)")


if __name__ == "__main__":
    main()
