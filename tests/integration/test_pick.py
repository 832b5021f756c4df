"""Named paths are judged exactly as the whole walk judges them (workspace_files/pick.py): the
same files indexed, the same reasons for the ones declined; ignored ones, which the walk
passes over silently, are reported as ignored; vanished ones are gone."""

from __future__ import annotations

import os

from services.workspace_files.pick import Gone, Pick
from services.workspace_files.policy import ScannedFile, ScanRules, SkippedFile, SkipReason
from services.workspace_files.walk import scan
from tests.integration.test_ingest_service import awkward_workspace


def test_each_path_is_judged_as_the_scan_judges_it(tmp_path):
    root = awkward_workspace(tmp_path)
    (root / "src" / ".gitignore").write_text("*.log\n!keep.log\n")
    (root / "src" / "debug.log").write_text("x\n")
    (root / "src" / "keep.log").write_text("kept\n")
    rules = ScanRules(max_file_bytes=4096, exclude_globs=("**/excluded.py",))
    (root / "src" / "excluded.py").write_text("x = 1\n")
    scanned = {item.path: item for item in scan(root, rules)}
    files = [path for path in scanned if not path.endswith("/")]
    picked = {item.path: item for item in Pick(str(root), rules).paths(files)}
    assert picked == {path: scanned[path] for path in files}

    ignored = ["ignored.py", "src/debug.log", "node_modules/lib.js", "src/gone.log"]
    verdicts = {item.path: item for item in Pick(str(root), rules).paths(ignored)}
    assert verdicts["ignored.py"] == SkippedFile("ignored.py", SkipReason.IGNORED)
    assert verdicts["src/debug.log"].reason == SkipReason.IGNORED
    assert verdicts["src/gone.log"].reason == SkipReason.IGNORED  # gone, and ignored anyway
    assert verdicts["node_modules/lib.js"].reason == SkipReason.SKIPPED_FOLDER

    below = list(Pick(str(root), rules).paths(["src", "nothing/here.py", "src/ok.py/x"]))
    assert {i.path for i in below if isinstance(i, ScannedFile)} == {
        p for p, i in scanned.items() if p.startswith("src/") and isinstance(i, ScannedFile)}
    assert Gone("nothing/here.py") in below and Gone("src/ok.py/x") in below
    os.symlink(root / "src", root / "linked")
    assert list(Pick(str(root), rules).paths(["linked/ok.py"])) == [
        SkippedFile("linked/ok.py", SkipReason.SYMLINKED_FOLDER)]
