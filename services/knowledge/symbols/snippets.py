"""One-line snippets of references: the stored text of each line a reference is on."""

from __future__ import annotations

from collections.abc import Iterable

from services.domain.symbols import SymbolReference
from services.storage.port import Symbols

SNIPPET_CHARACTERS = 200


async def line_snippets(storage: Symbols, workspace_id: str,
                        references: Iterable[SymbolReference]) -> dict[tuple[str, int], str]:
    """(path, line) -> that line of the indexed text (what the references were read from),
    trimmed, at most 200 characters; one storage read for all."""
    found = await storage.line_texts(workspace_id, {(r.path, r.line) for r in references})
    return {key: text.strip()[:SNIPPET_CHARACTERS] for key, text in found.items()}
