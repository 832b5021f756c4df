"""Regenerates the protobuf code into a temporary folder and compares it with knowport/v1.

Run as `python -m tests.tools.proto_freshness`; exits 1 and names the stale files when the
committed generated code is not what `make proto` would write.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "proto"
GENERATED_DIR = ROOT / "knowport" / "v1"


def generate(out_dir: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_DIR))
                    for p in (PROTO_DIR / "knowport" / "v1").glob("*.proto"))
    include = str(Path(protoc.__file__).parent / "_proto")
    args = ["protoc", f"-I{PROTO_DIR}", f"-I{include}", f"--python_out={out_dir}",
            f"--pyi_out={out_dir}", f"--grpc_python_out={out_dir}", *protos]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def stale_files() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out)
        fresh = {p.name: p.read_bytes() for p in (out / "knowport" / "v1").iterdir()}
    committed = {p.name: p.read_bytes() for p in GENERATED_DIR.iterdir()
                 if p.is_file() and p.name != "__init__.py" and p.suffix in (".py", ".pyi")}
    return sorted(name for name in fresh.keys() | committed.keys()
                  if fresh.get(name) != committed.get(name))


def main() -> int:
    stale = stale_files()
    if stale:
        print("generated protobuf code is stale, run `make proto`: " + ", ".join(stale))
        return 1
    print("generated protobuf code is fresh")
    return 0


if __name__ == "__main__":
    sys.exit(main())
