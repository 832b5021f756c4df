"""The contract's enums as Python enums named the short way: `SymbolKind.FUNCTION`, printed
`function`. The client reads them in (`kinds=["function"]`, `mode="LEXICAL"`) and shows them
in results (`hit.kind` prints `function`), so nobody has to know the numbers.

Each enum is built from the generated descriptor, so a value added to the contract appears
here by itself.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

from google.protobuf.descriptor import EnumDescriptor
from grpc_health.v1 import health_pb2

from knowport.v1 import ingest_service_pb2 as ipb
from knowport.v1 import knowledge_service_pb2 as kpb


class ProtoEnum(enum.IntEnum):
    """An enum of knowport.v1 (an int, so it goes into requests as it is), shown by its short
    lower-case name: `str(SymbolKind.FUNCTION) == "function"`."""

    def __str__(self) -> str:
        return self.name.lower()

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _prefix(enum_name: str) -> str:
    """`SymbolKind` -> `SYMBOL_KIND_`, the prefix buf's style puts on every value."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_name).upper() + "_"


def _from_descriptor(descriptor: EnumDescriptor) -> type[ProtoEnum]:
    prefix = _prefix(descriptor.name)
    members = {value.name.removeprefix(prefix): value.number for value in descriptor.values}
    return ProtoEnum(descriptor.name, members, module=__name__)  # type: ignore[return-value]


SearchMode = _from_descriptor(kpb.SearchMode.DESCRIPTOR)
SymbolKind = _from_descriptor(kpb.SymbolKind.DESCRIPTOR)
FileRole = _from_descriptor(kpb.FileRole.DESCRIPTOR)
ReferenceKind = _from_descriptor(kpb.ReferenceKind.DESCRIPTOR)
Resolution = _from_descriptor(kpb.Resolution.DESCRIPTOR)
CallDirection = _from_descriptor(kpb.CallDirection.DESCRIPTOR)
IngestMode = _from_descriptor(ipb.IngestMode.DESCRIPTOR)
IngestJobState = _from_descriptor(ipb.IngestJobState.DESCRIPTOR)
ServingStatus = _from_descriptor(health_pb2.HealthCheckResponse.ServingStatus.DESCRIPTOR)

_BY_DESCRIPTOR = {e.DESCRIPTOR.full_name: cls for e, cls in (
    (kpb.SearchMode, SearchMode), (kpb.SymbolKind, SymbolKind), (kpb.FileRole, FileRole),
    (kpb.ReferenceKind, ReferenceKind), (kpb.Resolution, Resolution),
    (kpb.CallDirection, CallDirection),
    (ipb.IngestMode, IngestMode),
    (ipb.IngestJobState, IngestJobState),
    (health_pb2.HealthCheckResponse.ServingStatus, ServingStatus))}


def for_descriptor(descriptor: EnumDescriptor) -> type[ProtoEnum] | None:
    """The Python enum of a contract enum, None for one this module does not know."""
    return _BY_DESCRIPTOR.get(descriptor.full_name)


def choices(enum_type: type[ProtoEnum]) -> list[str]:
    """The names a caller may pass: every value but the zero `…_UNSPECIFIED`."""
    return [str(member) for member in enum_type if member.name != "UNSPECIFIED"]


def parse(enum_type: type[ProtoEnum], value: str | int, what: str) -> int:
    """`value` as the enum's number. A string is matched case-insensitively by its short name
    (`function`) or its full contract name (`SYMBOL_KIND_FUNCTION`); numbers and members pass
    as they are (the server judges numbers it does not know). `what` names the argument in the
    ValueError for a name that is not one of the enum's."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{what} must be a name or a number, not {type(value).__name__}")
    if isinstance(value, int):
        return enum_type(value) if value in enum_type._value2member_map_ else value
    name = value.strip().upper().removeprefix(_prefix(enum_type.__name__))
    member = enum_type.__members__.get(name)
    if member is None or name == "UNSPECIFIED":
        raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(choices(enum_type))}")
    return member


def parse_all(enum_type: type[ProtoEnum], values: Iterable[str | int] | str | int,
              what: str) -> list[int]:
    """Several values (one alone is taken as a list of one, so `kinds="function"` is not read
    as eight letters)."""
    if isinstance(values, str | int):
        values = [values]
    return [parse(enum_type, value, what) for value in values]
