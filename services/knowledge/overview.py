"""GetOverview's use case: languages, folder layout, key modules, entry points and the most
referenced symbols of a workspace, most important first (wire/overview.py fills the response
to the byte budget).

The overview comes from one pass over every chunk (repo_map.py), so it is cached per
workspace and index version: the version is a hash of the file list (path, content hash,
summary), which one cheap query returns. Any ingest that changes a file changes it.
"""

from __future__ import annotations

import asyncio
import hashlib
import posixpath
from dataclasses import dataclass

from services.domain.models import FileRecord
from services.knowledge.repo_map import RankedSymbol, RepoMap, RepoMapBuilder, is_test_path
from services.storage.port import Files

MAX_KEY_MODULES = 500
CHUNK_BATCH = 2000


@dataclass(frozen=True)
class Folder:
    path: str  # "." for the root
    depth: int
    files: int
    bytes: int


@dataclass(frozen=True)
class Overview:
    languages: list[tuple[str, int, int]]  # (language, files, bytes), largest first
    folders: list[Folder]  # by depth, then largest first
    key_modules: list[tuple[str, str]]  # (path, purpose), most important first
    entry_points: list[str]
    symbols: list[RankedSymbol]


def index_version(files: list[FileRecord]) -> str:
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.path}\0{f.content_hash}\0{f.summary}\n".encode("utf-8", "replace"))
    return digest.hexdigest()


class OverviewCache:
    """The last overview of each workspace, rebuilt when its index version changes."""

    def __init__(self, storage: Files) -> None:
        self._storage = storage
        self._cached: dict[str, tuple[str, Overview]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, workspace_id: str) -> Overview:
        files = await self._storage.list_files(workspace_id)
        version = await asyncio.to_thread(index_version, files)
        cached = self._cached.get(workspace_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        async with self._locks.setdefault(workspace_id, asyncio.Lock()):
            cached = self._cached.get(workspace_id)
            if cached is not None and cached[0] == version:
                return cached[1]
            overview = await self._build(workspace_id, files)
            self._cached[workspace_id] = (version, overview)
            return overview

    async def _build(self, workspace_id: str, files: list[FileRecord]) -> Overview:
        builder = RepoMapBuilder()
        async for batch in self._storage.iter_chunks(workspace_id, CHUNK_BATCH):
            await asyncio.to_thread(builder.add, batch)
        summaries = {f.path: f.summary for f in files if f.summary}
        repo = await asyncio.to_thread(builder.finish, summaries)
        return await asyncio.to_thread(_assemble, files, repo)


def _assemble(files: list[FileRecord], repo: RepoMap) -> Overview:
    languages: dict[str, list[int]] = {}
    folders: dict[str, list[int]] = {}
    for f in files:
        share = languages.setdefault(f.language, [0, 0])
        share[0] += 1
        share[1] += f.size_bytes
        for folder in _folders_of(f.path):
            size = folders.setdefault(folder, [0, 0])
            size[0] += 1
            size[1] += f.size_bytes
    total = sum(f.size_bytes for f in files) or 1
    layout = sorted((Folder(path, _depth(path), n, size) for path, (n, size) in folders.items()),
                    key=lambda d: (d.depth, -d.bytes, d.path))

    best = max(repo.file_scores.values(), default=1.0)
    importance = dict(repo.file_scores)
    entry = set(repo.entry_points)
    for path in entry:
        importance[path] = importance.get(path, 0.0) + best / (8 if is_test_path(path) else 2)
    for f in files:
        name = posixpath.basename(f.path).lower()
        if name.startswith("readme"):
            folder = posixpath.dirname(f.path) or "."
            importance[f.path] = (float("inf") if folder == "." else
                                  importance.get(f.path, 0.0) + best * folders[folder][1] / total)
    ranked = sorted((p for p, score in importance.items()
                     if score > 0 and p not in repo.generated),
                    key=lambda p: (-importance[p], p.count("/"), p))
    key_modules = [(p, repo.purposes.get(p, "")) for p in ranked[:MAX_KEY_MODULES]]
    return Overview(
        languages=sorted(((lang, n, size) for lang, (n, size) in languages.items()),
                         key=lambda s: (-s[2], s[0])),
        folders=layout, key_modules=key_modules, entry_points=list(repo.entry_points),
        symbols=repo.symbols)


def _folders_of(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["."] + ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _depth(folder: str) -> int:
    return 0 if folder == "." else folder.count("/") + 1
