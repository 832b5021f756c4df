"""Paths are confined to the workspace: every trick to reach a canary file outside it gets
INVALID_ARGUMENT or NOT_FOUND, no response of any RPC ever carries the canary's content, and
the server never opens anything outside the workspace while answering."""

from __future__ import annotations

import os
import sys
import uuid

import grpc
import pytest

from knowport.v1 import knowledge_service_pb2 as pb
from tests.support.grpc_server import running_server
from tests.support.workspaces import index, shop_workspace, write_files

CANARY = f"canary{uuid.uuid4().hex}"

INVALID, MISSING = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND


class _Opens:
    """Records every file the process opens (Python's audit events) while switched on."""

    def __init__(self) -> None:
        self.on = False
        self.paths: list[str] = []
        sys.addaudithook(self._hook)  # hooks cannot be removed; this one goes quiet

    def _hook(self, event: str, args: tuple) -> None:
        if self.on and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            self.paths.append(os.fsdecode(args[0]))


_opens = _Opens()


def tricks(outside: str) -> list[tuple[str, grpc.StatusCode]]:
    return [
        ("../outside/canary.txt", INVALID),
        ("shop/../../outside/canary.txt", INVALID),
        ("./shop/../../outside/canary.txt", INVALID),
        ("..", INVALID),
        (f"{outside}/canary.txt", INVALID),  # absolute
        ("/etc/passwd", INVALID),
        ("\\..\\outside\\canary.txt", INVALID),
        ("shop\\..\\..\\outside\\canary.txt", INVALID),
        ("C:\\outside\\canary.txt", INVALID),
        ("shop/inventory.py\0../../outside/canary.txt", INVALID),
        ("%2e%2e/outside/canary.txt", INVALID),
        ("..%2Foutside%2Fcanary.txt", INVALID),
        ("%252e%252e%252Foutside%252Fcanary.txt", INVALID),  # encoded twice
        ("%2Fetc%2Fpasswd", INVALID),
        ("\uff0e\uff0e/outside/canary.txt", INVALID),  # full-width dots fold to ".."
        ("link_to_canary.txt", MISSING),  # a symlink out: never indexed
        ("linked_folder/canary.txt", MISSING),  # through a symlinked folder
        ("outside/canary.txt", MISSING),
        ("", INVALID),
        ("./", INVALID),
    ]


async def test_no_path_trick_reaches_a_file_outside_the_workspace(tmp_path, storage):
    outside = tmp_path / "outside"
    write_files(outside, {"canary.txt": f"{CANARY}\n", "canary.py": f"def {CANARY}(): pass\n"})
    root = shop_workspace(tmp_path / "ws")
    write_files(root, {"swapped.py": "def swapped():\n    return 1\n"})
    os.symlink(outside / "canary.txt", root / "link_to_canary.txt")
    os.symlink(outside, root / "linked_folder")
    async with running_server(storage, root) as server:
        await index(server.settings, storage)
        # After indexing, an indexed file becomes a symlink to the canary.
        (root / "swapped.py").unlink()
        os.symlink(outside / "canary.py", root / "swapped.py")

        replies: list[bytes] = []
        _opens.on = True
        try:
            (root / "README.md").open().close()  # the recorder works
            assert _opens.paths
            for path, code in tricks(str(outside)):
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    await server.knowledge.GetFileContext(pb.GetFileContextRequest(path=path))
                assert info.value.code() == code, path
                replies.append(info.value.details().encode())
            swapped = await server.knowledge.GetFileContext(
                pb.GetFileContextRequest(path="swapped.py"))
            found = await server.knowledge.Search(pb.SearchRequest(query="swapped"))
            canary = await server.knowledge.Search(pb.SearchRequest(query=CANARY, page_size=50))
            overview = await server.knowledge.GetOverview(pb.GetOverviewRequest(max_depth=8))
        finally:
            _opens.on = False
        replies += [swapped.SerializeToString(), found.SerializeToString(),
                    canary.SerializeToString(), overview.SerializeToString()]

    # The indexed text, marked stale; never what the symlink now points at.
    assert swapped.text == "def swapped():\n    return 1\n" and swapped.stale
    assert [h.path for h in found.hits] == ["swapped.py"] and found.hits[0].stale
    assert all(CANARY.encode() not in reply for reply in replies)
    # A plain string check after the calls: nothing here runs on the event loop any more.
    assert not [p for p in _opens.paths if str(outside) in os.path.realpath(p)]  # noqa: ASYNC240
