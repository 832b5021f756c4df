"""Validation shared by the servicers: turns request fields into checked plain values."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Protocol

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.message import Message

from services.domain import limits
from services.domain.errors import InvalidArgument
from services.domain.models import Workspace


def page_size(value: int, count: limits.Count, field: str = "page_size") -> int:
    """AIP-158: 0 means the default, negative is an error, too large is lowered."""
    if value < 0:
        raise InvalidArgument(f"{field} must not be negative (got {value})",
                              metadata={"field": field})
    return count.of(value)


def enum_value(value: int, enum: EnumTypeWrapper, field: str, *,
               allow_unspecified: bool = True) -> int:
    """Reject numbers that name no value of the enum (proto3 lets any int32 through)."""
    names = dict(enum.items())
    known = set(names.values())
    if value not in known or (value == 0 and not allow_unspecified):
        allowed = ", ".join(n for n, v in names.items() if v or allow_unspecified)
        raise InvalidArgument(f"{field} has no value {value}; expected one of {allowed}",
                              metadata={"field": field})
    return value


def known_names(values: Iterable[str], known: Collection[str], field: str, *,
                hint: Callable[[str], str] = lambda _: "") -> None:
    """Refuse a value outside `known`, listing the known ones; `hint` may add a suggestion
    for the value (e.g. the language an extension stands for)."""
    for value in values:
        if value not in known:
            raise InvalidArgument(
                f"{field} has no value {value!r}{hint(value)}; known: {', '.join(sorted(known))}",
                reason="UNKNOWN_VALUE", metadata={"field": field, "value": value})


def bounded_text(value: str, field: str, *, max_bytes: int, required: bool = False) -> str:
    if required and not value.strip():
        raise InvalidArgument(f"{field} is required", metadata={"field": field})
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InvalidArgument(f"{field} is {size} bytes; the limit is {max_bytes}",
                              metadata={"field": field})
    return value


class WorkspaceResolver(Protocol):
    """Maps a request's `workspace` field to a registered workspace whose root is still there
    (services/workspaces/registry.py); empty means the default."""

    default: Workspace

    async def resolve(self, name: str) -> Workspace: ...

    async def resolve_many(self, names: Sequence[str],
                           field: str = "workspaces") -> list[Workspace]:
        """Each named workspace once, in order; none named: the default."""


def reject_nul_characters(message: object, prefix: str = "") -> None:
    """Refuse a request with a NUL character in any text field, nested ones included (a
    request stream, as reflection's, passes unchecked).

    NUL is valid UTF-8, but no id, path, holder or query holds one, and PostgreSQL can neither
    store nor compare text containing it; refused here, every backend answers the same.
    """
    if not isinstance(message, Message):
        return
    for field, value in message.ListFields():
        name = prefix + field.name
        values = value if field.is_repeated else (value,)
        if field.type == field.TYPE_STRING:
            if any("\x00" in text for text in values):
                raise InvalidArgument(f"{name} contains a NUL character",
                                      reason="NUL_CHARACTER", metadata={"field": name})
        elif field.type == field.TYPE_MESSAGE:
            for nested in values:
                reject_nul_characters(nested, prefix=f"{name}.")
