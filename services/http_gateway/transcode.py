"""HTTP request parts to a request message, and messages to JSON, by the proto3 JSON mapping
(google.protobuf.json_format): path variables, query parameters and the body as the route's
annotation says."""

from __future__ import annotations

import json
import re
from typing import Any

from google.protobuf import descriptor, json_format
from google.protobuf.message import Message

from services.domain.errors import InvalidArgument
from services.http_gateway.routes import Route

_TIMEOUT = re.compile(r"(\d{1,8})([HMSmun])")
_TIMEOUT_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
_BOOLS = {"true": True, "false": False}


def parse_timeout(value: str) -> float:
    """A `grpc-timeout` header (e.g. "5S", "250m") in seconds."""
    found = _TIMEOUT.fullmatch(value.strip())
    if found is None:
        raise InvalidArgument(f"grpc-timeout {value!r} is not like 5S or 250m (an integer and "
                              "one of H M S m u n)", metadata={"header": "grpc-timeout"})
    return int(found.group(1)) * _TIMEOUT_UNITS[found.group(2)]


def _field(message: descriptor.Descriptor, name: str) -> descriptor.FieldDescriptor:
    found = message.fields_by_name.get(name) or next(
        (f for f in message.fields if f.json_name == name), None)
    if found is None:
        raise InvalidArgument(f"{message.name} has no field {name!r}",
                              metadata={"field": name})
    return found


def _set_text(target: dict[str, Any], message: descriptor.Descriptor, path: str,
              value: str) -> None:
    """Put a path variable or query parameter (always text) into the JSON object at its
    dotted field path, as the JSON mapping expects the field's type."""
    *parents, last = path.split(".")
    for name in parents:
        field = _field(message, name)
        if field.message_type is None or field.is_repeated:
            raise InvalidArgument(f"{path!r}: {name!r} is not a message field",
                                  metadata={"field": path})
        target = target.setdefault(field.json_name, {})
        message = field.message_type
    field = _field(message, last)
    if field.message_type is not None:
        raise InvalidArgument(f"{path!r} is a message: send it in a JSON body",
                              metadata={"field": path})
    if field.type == field.TYPE_BOOL:
        if value not in _BOOLS:
            raise InvalidArgument(f"{path!r} must be true or false", metadata={"field": path})
        converted: Any = _BOOLS[value]
    else:
        converted = value  # json_format accepts numbers and enum names given as strings
    if field.is_repeated:
        target.setdefault(field.json_name, []).append(converted)
    else:
        target[field.json_name] = converted


def _json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InvalidArgument(f"the body is not valid JSON: {err}",
                              reason="MALFORMED_JSON") from None
    except RecursionError:
        raise InvalidArgument("the body is nested too deeply", reason="MALFORMED_JSON") from None


def build_request(route: Route, variables: dict[str, str], query: list[tuple[str, str]],
                  body: bytes) -> Message:
    """The request message: the body (per the annotation), then query parameters, then path
    variables, which win. Unknown fields, wrong types and a body where none belongs are
    INVALID_ARGUMENT with the reason in one line."""
    message = route.method.input_type
    data: dict[str, Any] = {}
    if route.body and body.strip():
        parsed = _json_body(body)
        if route.body == "*":
            if not isinstance(parsed, dict):
                raise InvalidArgument("the body must be a JSON object", reason="MALFORMED_JSON")
            data = parsed
        else:
            data[_field(message, route.body).json_name] = parsed
    elif body.strip():
        raise InvalidArgument(f"{route.verb} {route.template} takes no body; send the fields "
                              "as query parameters")
    if query and route.body == "*":
        raise InvalidArgument(f"{route.verb} {route.template} takes its fields in the JSON "
                              "body, not as query parameters")
    for name, value in query:
        _set_text(data, message, name, value)
    for name, value in variables.items():
        _set_text(data, message, name, value)
    request = route.request_class()
    try:
        json_format.ParseDict(data, request)
    except json_format.ParseError as err:
        raise InvalidArgument(_one_line(str(err)), reason="BAD_FIELD") from None
    except RecursionError:
        raise InvalidArgument("the body is nested too deeply", reason="MALFORMED_JSON") from None
    return request


def _one_line(text: str) -> str:
    return " ".join(text.split())


def to_json(message: Message) -> bytes:
    """A response as compact JSON (lowerCamelCase names, every field shown, so scripts can
    read `truncated: false` and `locked: false` without knowing the defaults)."""
    body = json_format.MessageToDict(message, always_print_fields_with_no_presence=True)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
