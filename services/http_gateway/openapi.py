"""`GET /openapi.json`, generated from the route table and the message descriptors (proto3
JSON mapping: lowerCamelCase names, 64-bit integers as strings, enums by name)."""

from __future__ import annotations

import json
import re
from typing import Any

from google.protobuf import descriptor

from services.http_gateway.routes import Route

FD = descriptor.FieldDescriptor
_SCALARS: dict[int, dict[str, Any]] = {
    FD.TYPE_STRING: {"type": "string"},
    FD.TYPE_BYTES: {"type": "string", "format": "byte"},
    FD.TYPE_BOOL: {"type": "boolean"},
    FD.TYPE_DOUBLE: {"type": "number"},
    FD.TYPE_FLOAT: {"type": "number"},
    **{t: {"type": "integer", "format": "int32"}
       for t in (FD.TYPE_INT32, FD.TYPE_SINT32, FD.TYPE_SFIXED32)},
    **{t: {"type": "integer", "format": "uint32"} for t in (FD.TYPE_UINT32, FD.TYPE_FIXED32)},
    **{t: {"type": "string", "format": "int64"}
       for t in (FD.TYPE_INT64, FD.TYPE_SINT64, FD.TYPE_SFIXED64)},
    **{t: {"type": "string", "format": "uint64"} for t in (FD.TYPE_UINT64, FD.TYPE_FIXED64)},
}
# Well-known types have JSON forms of their own.
_WELL_KNOWN = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?\d+(\.\d+)?s$"},
}
STATUS_SCHEMA = {"type": "object", "properties": {
    "code": {"type": "integer"}, "message": {"type": "string"},
    "details": {"type": "array", "items": {"type": "object"}}}}


class _Schemas:
    def __init__(self) -> None:
        self.components: dict[str, Any] = {"google.rpc.Status": STATUS_SCHEMA}

    def ref(self, name: str) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{name}"}

    def message(self, message: descriptor.Descriptor) -> dict[str, Any]:
        if message.full_name in _WELL_KNOWN:
            return _WELL_KNOWN[message.full_name]
        if message.full_name not in self.components:
            self.components[message.full_name] = {}  # placed first: recursive messages
            self.components[message.full_name] = {
                "type": "object", "additionalProperties": False,
                "properties": {f.json_name: self.field(f) for f in message.fields}}
        return self.ref(message.full_name)

    def field(self, field: descriptor.FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None:
            one = self.message(field.message_type)
        elif field.enum_type is not None:
            one = {"type": "string", "enum": [v.name for v in field.enum_type.values]}
        else:
            one = dict(_SCALARS[field.type])
        return {"type": "array", "items": one} if field.is_repeated else one


def _parameters(route: Route, schemas: _Schemas) -> list[dict[str, Any]]:
    message = route.method.input_type
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in route.variables]
    if route.body:
        return params
    for field in message.fields:
        if field.name in route.variables or field.message_type is not None:
            continue
        params.append({"name": field.json_name, "in": "query", "required": False,
                       "schema": schemas.field(field)})
    return params


def _operation(route: Route, schemas: _Schemas) -> dict[str, Any]:
    out = schemas.message(route.method.output_type)
    if route.streaming:
        content = {"application/x-ndjson": {"schema": {
            "type": "object", "properties": {"result": out, "error": schemas.ref(
                "google.rpc.Status")}}}, "text/event-stream": {"schema": {"type": "string"}}}
    else:
        content = {"application/json": {"schema": out}}
    operation: dict[str, Any] = {
        "tags": [route.method.containing_service.name],
        "summary": f"{route.method.full_name} (gRPC {route.rpc})",
        "parameters": _parameters(route, schemas),
        "responses": {"200": {"description": "OK", "content": content},
                      "default": {"description": "google.rpc.Status", "content": {
                          "application/json": {"schema": schemas.ref("google.rpc.Status")}}}},
    }
    if route.body:
        body = (schemas.message(route.method.input_type) if route.body == "*" else
                schemas.field(route.method.input_type.fields_by_name[route.body]))
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": body}}}
    return operation


def openapi_document(routes: list[Route], version: str) -> bytes:
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for route in sorted(routes, key=lambda r: (r.template, r.verb)):
        operation = _operation(route, schemas)
        name = f"{route.method.containing_service.name}_{route.method.name}"
        seen[name] = seen.get(name, 0) + 1  # an RPC with several bindings: _2, _3, ...
        operation["operationId"] = name if seen[name] == 1 else f"{name}_{seen[name]}"
        paths.setdefault(_openapi_path(route), {})[route.verb.lower()] = operation
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Knowledge Port HTTP/JSON API", "version": version,
                 "description": "Transcoded from the gRPC contract (google.api.http "
                                "annotations in proto/knowport/v1)."},
        "paths": paths,
        "components": {"schemas": schemas.components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
    # Compact: the document is a response like any other and must fit the byte cap.
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def _openapi_path(route: Route) -> str:
    """OpenAPI names a variable without its pattern: {path=**} is {path}."""
    return re.sub(r"\{([^}=]+)=[^}]*\}", r"{\1}", route.template)
