"""The route table, read from the `google.api.http` annotations of the generated descriptors:
the only place routes are defined is the protos."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from functools import cached_property

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor, message_factory
from google.protobuf.message import Message

import knowport.v1

_VARIABLE = re.compile(r"\{([a-z_][a-z0-9_.]*)(?:=([^}]*))?\}")


@dataclass(frozen=True)
class Route:
    """One HTTP binding of one RPC."""

    verb: str  # GET, POST, ...
    template: str  # as written in the annotation, e.g. /knowledge/file/{path=**}
    body: str  # "" (no body), "*" (the whole request) or one field's name
    method: descriptor.MethodDescriptor
    pattern: re.Pattern = field(compare=False)
    variables: tuple[str, ...] = field(compare=False)  # field paths, in template order

    @property
    def rpc(self) -> str:
        """The gRPC method path, e.g. /knowport.v1.KnowledgeService/Search."""
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def streaming(self) -> bool:
        return self.method.server_streaming

    @cached_property
    def request_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.method.input_type)

    @cached_property
    def response_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.method.output_type)

    def match(self, path: str) -> dict[str, str] | None:
        """The path variables when `path` fits this route's template, else None."""
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        return dict(zip(self.variables, found.groups(), strict=True))


def compile_template(template: str) -> tuple[re.Pattern, tuple[str, ...]]:
    """A path template (google/api/http.proto syntax) as a regular expression: `{f}` and
    `{f=*}` take one segment, `{f=**}` (or `{f=a/**}`-style rests) the remainder."""
    parts, variables, position = [], [], 0
    for var in _VARIABLE.finditer(template):
        parts.append(re.escape(template[position:var.start()]))
        segments = var.group(2) or "*"
        if segments == "*":
            parts.append("([^/]+)")
        elif segments == "**":
            parts.append("(.+)")
        else:  # literal segments inside the variable, e.g. {name=shelves/*}
            inner = re.escape(segments).replace(r"\*\*", ".+").replace(r"\*", "[^/]+")
            parts.append(f"({inner})")
        variables.append(var.group(1))
        position = var.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts)), tuple(variables)


def _bindings(rule: http_pb2.HttpRule) -> list[tuple[str, str, str]]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        return []
    if kind == "custom":
        verb, template = rule.custom.kind.upper(), rule.custom.path
    else:
        verb, template = kind.upper(), getattr(rule, kind)
    found = [(verb, template, rule.body)]
    for extra in rule.additional_bindings:
        found += _bindings(extra)
    return found


def contract_services() -> list[descriptor.ServiceDescriptor]:
    """Every service of the generated knowport.v1 package (new files included)."""
    services = []
    for module in sorted(m.name for m in pkgutil.iter_modules(knowport.v1.__path__)):
        if module.endswith("_pb2"):
            file = importlib.import_module(f"knowport.v1.{module}").DESCRIPTOR
            services += file.services_by_name.values()
    return services


def http_rule(method: descriptor.MethodDescriptor) -> http_pb2.HttpRule | None:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return None
    return options.Extensions[annotations_pb2.http]


def unannotated_methods() -> list[str]:
    """Full names of the RPCs that have no HTTP annotation (there should be none)."""
    return [m.full_name for s in contract_services() for m in s.methods if http_rule(m) is None]


def route_table() -> list[Route]:
    """Every binding of every annotated RPC, the most literal templates first, so
    `/v1/ingest/jobs/{job_id}:watch` is tried before `/v1/ingest/jobs/{job_id}`."""
    routes = []
    for service in contract_services():
        for method in service.methods:
            rule = http_rule(method)
            if rule is None:
                continue
            for verb, template, body in _bindings(rule):
                pattern, variables = compile_template(template)
                routes.append(Route(verb, template, body, method, pattern, variables))
    return sorted(routes, key=lambda r: -len(_VARIABLE.sub("", r.template)))
