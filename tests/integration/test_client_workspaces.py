"""The Python clients' workspace calls against a real server: create (idempotent), list,
search across workspaces with each hit naming its own, delete."""

from __future__ import annotations

import asyncio

from clients import AsyncKnowportClient, KnowportClient
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server


async def test_clients_manage_workspaces_and_search_across_them(tmp_path):
    main, lib = tmp_path / "main", tmp_path / "lib"
    for root, name in ((main, "alpha_handler"), (lib, "alpha_helper")):
        root.mkdir()
        (root / "a.py").write_text(f"def {name}():\n    return 1\n")
    async with running_server(MemoryStorage(), main) as server:
        async with AsyncKnowportClient(server.address) as client:
            made = await client.create_workspace(str(lib), display_name="lib")
            assert made.created and made.workspace.display_name == "lib"
            assert not (await client.create_workspace(str(lib))).created
            for workspace in ("", made.workspace.id):
                started = await client.start_ingest(workspace=workspace)
                [u async for u in client.watch_ingest(started.job.job_id)]
            found = await client.search("alpha", mode="lexical",
                                        workspaces=[server.workspace.id, made.workspace.id])
            assert {(h.workspace, h.symbol) for h in found.hits} == {
                (server.workspace.id, "alpha_handler"), (made.workspace.id, "alpha_helper")}

        def blocking() -> list[str]:
            with KnowportClient(server.address) as sync:
                listed = [w.id for w in sync.list_workspaces().workspaces]
                sync.delete_workspace(made.workspace.id)
                return listed + [w.id for w in sync.list_workspaces().workspaces]

        ids = await asyncio.to_thread(blocking)
        assert ids == sorted([server.workspace.id, made.workspace.id]) + [server.workspace.id]
