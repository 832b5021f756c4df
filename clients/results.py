"""Responses as the clients hand them out: the generated message, read with enum fields as
`ProtoEnum` members, so `hit.kind` prints `function` rather than `1`, and `print(hit)` shows
`SearchHit(path='a.py', start_line=1, symbol='alpha', kind=function, ...)`.

A `Result` is a read-only view: every other attribute and method (`HasField`, `ByteSize`,
`DESCRIPTOR`, `ListFields`, ...) is the message's own, so `json_format.MessageToJson(result)`
works as on the message, and `proto_message(result)` gives the message itself. Well-known
types (`Timestamp`, `Duration`) are left as they are, for their own methods.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from clients.enums import for_descriptor

_WELL_KNOWN = "google.protobuf."


class Result:
    """A response message whose enum fields read as named enum members."""

    __slots__ = ("_message",)

    def __init__(self, message: Message) -> None:
        object.__setattr__(self, "_message", message)

    def __getattr__(self, name: str) -> Any:
        message = object.__getattribute__(self, "_message")
        value = getattr(message, name)
        field = message.DESCRIPTOR.fields_by_name.get(name)
        return value if field is None else _read(field, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self._message).__name__} results are read-only")

    def __eq__(self, other: object) -> bool:
        return self._message == proto_message(other)

    __hash__ = None  # type: ignore[assignment]  # as the message's: it is not hashable

    def __repr__(self) -> str:
        shown = ", ".join(f"{field.name}={_show(field, getattr(self, field.name))}"
                          for field, _ in self._message.ListFields())
        return f"{type(self._message).__name__}({shown})"

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self._message)) | set(self.__slots__))


def wrap(value: Any) -> Any:
    """A message as a Result (well-known types and non-messages as they are)."""
    if isinstance(value, Message) and not value.DESCRIPTOR.full_name.startswith(_WELL_KNOWN):
        return Result(value)
    return value


def proto_message(value: Any) -> Any:
    """The message behind a Result (anything else as it is)."""
    return object.__getattribute__(value, "_message") if isinstance(value, Result) else value


def _read(field: FieldDescriptor, value: Any) -> Any:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        return value  # maps: none in the contract carries enums or messages worth a view
    if field.is_repeated:
        return tuple(_one(field, item) for item in value)
    return _one(field, value)


def _one(field: FieldDescriptor, value: Any) -> Any:
    if field.enum_type is not None:
        named = for_descriptor(field.enum_type)
        return named(value) if named and value in named._value2member_map_ else value
    return wrap(value)


def _show(field: FieldDescriptor, value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(field, item) for item in value) + "]"
    if field.enum_type is not None:
        return str(value)
    if isinstance(value, Message):  # a well-known type: its JSON form is the readable one
        return value.ToJsonString() if hasattr(value, "ToJsonString") else repr(str(value))
    return repr(value)
