"""Hypothesis strategies for any protobuf request message, built from its descriptor:
hostile strings (huge, deep paths, control characters, traversal), extreme numbers, enum
numbers nobody defined, and long repeated fields."""

from __future__ import annotations

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import strategies as st

_NASTY_TEXT = st.one_of(
    st.text(max_size=64),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=3000),
    st.sampled_from(["", " ", "\x00", "../../etc/passwd", "/etc/passwd", "%2e%2e/%2e%2e/x",
                     "a/" * 500 + "b", "\U0001f600" * 100, "*" * 70, "[", "\\", "\n\r\t",
                     "SELECT pg_sleep(10);--", "Bearer x"]),
    st.just("x" * 70_000),
)

_INT32 = st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, -1, 2**31 - 1]))
_INT64 = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, -1, 2**63 - 1]))

_SCALARS = {
    FieldDescriptor.TYPE_STRING: _NASTY_TEXT,
    FieldDescriptor.TYPE_BYTES: st.binary(max_size=256),
    FieldDescriptor.TYPE_BOOL: st.booleans(),
    FieldDescriptor.TYPE_INT32: _INT32, FieldDescriptor.TYPE_SINT32: _INT32,
    FieldDescriptor.TYPE_INT64: _INT64, FieldDescriptor.TYPE_SINT64: _INT64,
    FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: st.integers(0, 2**64 - 1),
    FieldDescriptor.TYPE_DOUBLE: st.floats(allow_nan=True, allow_infinity=True),
    FieldDescriptor.TYPE_FLOAT: st.floats(width=32, allow_nan=True, allow_infinity=True),
}


def _field_values(field: FieldDescriptor, depth: int) -> st.SearchStrategy:
    if field.type == FieldDescriptor.TYPE_ENUM:
        known = [v.number for v in field.enum_type.values]
        single = st.one_of(st.sampled_from(known), _INT32)
    elif field.type == FieldDescriptor.TYPE_MESSAGE:
        single = messages(field.message_type, depth + 1) if depth < 3 else st.none()
    else:
        single = _SCALARS[field.type]
    if field.is_repeated:
        return st.lists(single, max_size=40)
    return single


def messages(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy:
    """Dicts of field name -> value for `descriptor` (None values are left unset)."""
    fields = {f.name: _field_values(f, depth) for f in descriptor.fields}
    return st.fixed_dictionaries({}, optional=fields)


def build(message_class, values: dict):
    """A message from `messages()` output (nested dicts become nested messages)."""
    message = message_class()
    for name, value in values.items():
        if value is None:
            continue
        field, target = message.DESCRIPTOR.fields_by_name[name], getattr(message, name)
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            if field.is_repeated:
                target.extend(value)
            else:
                setattr(message, name, value)
        elif field.is_repeated:
            for item in filter(None.__ne__, value):
                sub = target.add()
                sub.CopyFrom(build(type(sub), item))
        else:
            target.CopyFrom(build(type(target), value))
    return message
