"""One-line snippets of references: the stored text of each line a reference is on."""

from __future__ import annotations

from collections.abc import Iterable

from services.domain.symbols import SymbolReference
from services.storage.port import Files

SNIPPET_CHARACTERS = 200


async def line_snippets(storage: Files, workspace_id: str,
                        references: Iterable[SymbolReference]) -> dict[tuple[str, int], str]:
    """(path, line) -> that line of the indexed text, trimmed, at most 200 characters.

    Read from the stored chunks (what was indexed, as the references were), one read per file.
    """
    wanted: dict[str, set[int]] = {}
    for ref in references:
        wanted.setdefault(ref.path, set()).add(ref.line)
    found: dict[tuple[str, int], str] = {}
    for path, lines in wanted.items():
        for chunk in await storage.get_chunks(workspace_id, path):
            if chunk.start_column:  # a later piece of a long line: its start was taken
                continue
            for offset, text in enumerate(chunk.text.split("\n")):
                line = chunk.start_line + offset
                if line in lines and (path, line) not in found:
                    found[(path, line)] = text.strip()[:SNIPPET_CHARACTERS]
    return found
