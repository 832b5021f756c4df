"""The plan of an ingest restricted to named paths (`StartIngest.paths`, the watcher).

Only the named files are judged (workspace_files/pick.py), and only their index entries are
compared with them, so an ingest of one file costs about one file, however large the
workspace. A named path that is gone, or is now declined, leaves the index like any file
that left the tree; a named folder stands for everything below it, on disk and in the index.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from services.domain.models import FileRecord, Workspace
from services.storage.port import Files
from services.workspace_files.pick import Gone, Pick
from services.workspace_files.policy import ScannedFile, ScanRules, SkippedFile


async def scoped(storage: Files, workspace: Workspace, rules: ScanRules,
                 paths: Sequence[str]) -> tuple[list[ScannedFile | SkippedFile],
                                                dict[str, FileRecord]]:
    """The named paths' entries (as `scan` gives them) and their stored records, by path."""
    picked = await asyncio.to_thread(lambda: list(Pick(workspace.root, rules).paths(paths)))
    entries = [item for item in picked if not isinstance(item, Gone)]
    named_files = {item.path for item in entries}
    if all(path in named_files for path in paths):  # files only: fetch just their records
        return entries, await storage.get_files(workspace.id, paths)
    # A folder named, or gone: whatever the index holds below it is in scope too.
    below = tuple(path + "/" for path in paths)
    stored = {record.path: record for record in await storage.list_files(workspace.id)
              if record.path in paths or record.path.startswith(below)}
    return entries, stored


async def worth_ingesting(storage: Files, workspace: Workspace, rules: ScanRules,
                          paths: Sequence[str]) -> list[str]:
    """Of changed paths (the watcher's), those an ingest would change anything for: files to
    index, and declined or vanished paths the index holds (at, or below, the path). An
    editor's swap file that came and went, or a write to an ignored folder, costs no job."""
    pick = Pick(workspace.root, rules)

    def judge() -> tuple[list[str], list[str]]:
        kept, doubtful = [], []
        for path in paths:
            indexable = any(isinstance(item, ScannedFile) for item in pick.paths([path]))
            (kept if indexable else doubtful).append(path)
        return kept, doubtful

    kept, doubtful = await asyncio.to_thread(judge)
    if kept or not doubtful:  # a job runs anyway, and sorts the doubtful ones out cheaply
        return kept + doubtful
    stored = await storage.get_files(workspace.id, doubtful)
    rest = [path for path in doubtful if path not in stored]
    if rest:  # a folder renamed or deleted is one event: is anything indexed below it?
        below = tuple(path + "/" for path in rest)
        if any(record.path.startswith(below)
               for record in await storage.list_files(workspace.id)):
            return doubtful
    return [path for path in doubtful if path in stored]
