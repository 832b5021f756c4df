"""The HTTP routes come from the protos' google.api.http annotations and nowhere else: every
RPC is annotated, the route table is what the descriptors say, the seed's endpoints are there
with its exact paths, and no product module spells a route itself."""

from __future__ import annotations

import ast
from pathlib import Path

from google.api import annotations_pb2
from google.rpc import code_pb2

from services.http_gateway.errors import HTTP_STATUS
from services.http_gateway.routes import (
    compile_template,
    contract_services,
    route_table,
    unannotated_methods,
)

ROOT = Path(__file__).resolve().parents[2]
# The original Ingestor's HTTP API (../shared/seeds/000_*.txt, "API Endpoints").
SEED_ENDPOINTS = {
    ("GET", "/"), ("GET", "/health"), ("GET", "/stats"),
    ("POST", "/system/llm_lock"), ("GET", "/system/llm_lock"),
    ("POST", "/knowledge/search"), ("GET", "/knowledge/file/{path=**}"),
    ("GET", "/knowledge/overview"),
}
ROUTE_PREFIXES = ("/knowledge", "/system", "/stats", "/health", "/v1/")


def test_every_rpc_of_every_service_has_an_http_annotation():
    missing = unannotated_methods()
    assert missing == [], ("add an `option (google.api.http)` to: " + ", ".join(missing))


def test_the_contract_has_the_services_the_server_serves():
    names = {s.full_name for s in contract_services()}
    assert {"knowport.v1.IngestService", "knowport.v1.LockService",
            "knowport.v1.KnowledgeService", "knowport.v1.SystemService"} <= names


def _declared() -> set[tuple[str, str, str, str]]:
    """(verb, template, body, rpc) read straight from each method's options."""
    found = set()

    def add(rule, method):
        kind = rule.WhichOneof("pattern")
        verb, path = ((rule.custom.kind, rule.custom.path) if kind == "custom"
                      else (kind.upper(), getattr(rule, kind)))
        found.add((verb, path, rule.body, method.full_name))
        for extra in rule.additional_bindings:
            add(extra, method)

    for service in contract_services():
        for method in service.methods:
            add(method.GetOptions().Extensions[annotations_pb2.http], method)
    return found


def test_the_route_table_is_what_the_descriptors_say():
    table = {(r.verb, r.template, r.body, r.method.full_name) for r in route_table()}
    assert table == _declared()
    assert len(route_table()) == len(table)  # no binding twice


def test_the_seed_endpoints_have_the_seeds_exact_paths():
    assert {(r.verb, r.template) for r in route_table()} >= SEED_ENDPOINTS
    bodies = {(r.verb, r.template): r.body for r in route_table()}
    assert bodies["POST", "/system/llm_lock"] == "*"
    assert bodies["POST", "/knowledge/search"] == "*"


def test_no_product_module_spells_a_route():
    spelled = []
    modules = sorted((ROOT / "services").rglob("*.py")) + sorted((ROOT / "clients").rglob("*.py"))
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and node.value.startswith(ROUTE_PREFIXES)):
                spelled.append(f"{path.relative_to(ROOT)}: {node.value!r}")
    assert spelled == []


def test_templates_match_segments_and_rests():
    pattern, variables = compile_template("/knowledge/file/{path=**}")
    assert variables == ("path",)
    assert pattern.fullmatch("/knowledge/file/a/b/c.py").group(1) == "a/b/c.py"
    pattern, _ = compile_template("/v1/ingest/jobs/{job_id}")
    assert pattern.fullmatch("/v1/ingest/jobs/abc")
    assert not pattern.fullmatch("/v1/ingest/jobs/abc/skipped_files")


def test_a_custom_verb_is_tried_before_the_plain_variable():
    def route_for(verb, path):
        return next(r for r in route_table() if r.verb == verb and r.match(path) is not None)
    assert route_for("GET", "/v1/ingest/jobs/j1:watch").method.name == "WatchIngestJob"
    assert route_for("GET", "/v1/ingest/jobs/j1").method.name == "GetIngestJob"
    assert route_for("GET", "/v1/ingest/jobs/j1").match("/v1/ingest/jobs/j1") == {"job_id": "j1"}


def test_every_status_code_has_an_http_status():
    assert set(HTTP_STATUS) == set(code_pb2.Code.keys())
    assert HTTP_STATUS["FAILED_PRECONDITION"] == 400 and HTTP_STATUS["UNAVAILABLE"] == 503
