"""Chunk kinds (services/ingestor/grammars.py) and the contract's SymbolKind, both ways."""

from __future__ import annotations

from knowport.v1 import knowledge_service_pb2 as pb

TO_PROTO: dict[str, int] = {
    "function": pb.SYMBOL_KIND_FUNCTION,
    "method": pb.SYMBOL_KIND_METHOD,
    "class": pb.SYMBOL_KIND_CLASS,
    "interface": pb.SYMBOL_KIND_INTERFACE,
    "struct": pb.SYMBOL_KIND_STRUCT,
    "enum": pb.SYMBOL_KIND_ENUM,
    "module": pb.SYMBOL_KIND_MODULE,
    "section": pb.SYMBOL_KIND_SECTION,
    "lines": pb.SYMBOL_KIND_LINES,
}
FROM_PROTO: dict[int, str] = {value: name for name, value in TO_PROTO.items()}


def to_proto(kind: str) -> int:
    return TO_PROTO.get(kind, pb.SYMBOL_KIND_UNSPECIFIED)
