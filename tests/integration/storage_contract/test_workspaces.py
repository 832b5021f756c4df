"""The `Workspaces` role."""

from __future__ import annotations

from datetime import UTC, datetime

from services.domain.models import (
    Workspace,
)


async def test_workspace_upsert_keeps_the_first_and_lists_by_id(storage):
    created = await storage.upsert_workspace(Workspace(id="b", root="/src/b"))
    assert (created.id, created.root) == ("b", "/src/b")
    assert created.created_at is not None

    again = await storage.upsert_workspace(Workspace(id="b", root="/elsewhere"))
    assert again == created

    when = datetime(2025, 5, 1, 12, 30, tzinfo=UTC)
    a = await storage.upsert_workspace(Workspace(id="a", root="/src/a", created_at=when))
    assert a.created_at == when
    assert await storage.get_workspace("a") == a
    assert await storage.get_workspace("missing") is None
    assert [w.id for w in await storage.list_workspaces()] == ["a", "b"]
