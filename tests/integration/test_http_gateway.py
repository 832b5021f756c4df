"""The HTTP/JSON gateway against a real server on real ports, with a real HTTP client: the
seed's endpoints with the seed's bodies, the 50 KB cap on the JSON actually sent, the token,
TLS, deadlines, streams, and hostile input answered with one-line google.rpc.Status JSON."""

from __future__ import annotations

import asyncio
import json
import ssl

import httpx
import pytest

from services.storage.memory.adapter import MemoryStorage
from tests.support.certs import make_certs
from tests.support.grpc_server import running_server
from tests.support.ingest_jobs import ingest_to_end
from tests.support.workspaces import shop_workspace

CAP = 50_000
# One line of text that JSON makes about twice as long as protobuf does: quotes and
# backslashes are escaped, so a text that fits the budget as protobuf does not as JSON.
ESCAPED_LINE = 'x = "\\"\\\\\\"\\\\" + "\\"\\\\\\"" + "\\\\\\"\\\\\\""  # quoted\n'


@pytest.fixture(scope="module")
async def served(tmp_path_factory):
    root = shop_workspace(tmp_path_factory.mktemp("http_shop"))
    (root / "quotes.py").write_text(ESCAPED_LINE * 4000, encoding="utf-8")
    async with running_server(MemoryStorage(), root, KNOWPORT_HTTP_PORT="0") as server:
        job = await ingest_to_end(server)
        assert job.progress.files_persisted >= 5
        yield server


@pytest.fixture
async def http(served):
    base = f"http://127.0.0.1:{served.running.gateway.port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        yield client


def assert_status_json(response: httpx.Response, http_status: int, code: int) -> dict:
    """A refusal is one line of google.rpc.Status JSON with the mapped HTTP status."""
    assert response.status_code == http_status, response.text
    assert response.headers["content-type"] == "application/json"
    assert "\n" not in response.text and "Traceback" not in response.text
    status = response.json()
    assert status["code"] == code and status["message"]
    return status


# --- the seed's endpoints, with the seed's bodies -----------------------------------------

async def test_root_and_health_say_ok(http):
    for path in ("/", "/health"):
        reply = (await http.get(path)).json()
        assert reply["status"] == "ok"
        assert "knowport.v1.KnowledgeService" in reply["services"]


async def test_stats(http, served):
    stats = (await http.get("/stats")).json()
    assert stats["workspace"] == served.workspace.id
    assert stats["files"] >= 5 and stats["storageBackend"] == "memory"


async def test_llm_lock_simple_form(http):
    taken = await http.post("/system/llm_lock", json={"locked": True, "ttl_seconds": 300})
    assert taken.status_code == 200 and taken.json()["applied"] is True
    state = (await http.get("/system/llm_lock")).json()["lock"]
    assert state["locked"] is True and state["holder"] == "agent"
    assert 0 < int(state["remainingMs"]) <= 300_000
    freed = await http.post("/system/llm_lock", json={"locked": False})
    assert freed.json()["lock"]["locked"] is False
    assert (await http.get("/system/llm_lock")).json()["lock"]["locked"] is False


async def test_search(http):
    reply = await http.post("/knowledge/search", json={"query": "discount price",
                                                       "page_size": 3})
    body = reply.json()
    assert reply.status_code == 200 and 1 <= len(body["hits"]) <= 3
    assert any(hit["symbol"] == "compute_discount" for hit in body["hits"])


async def test_file_context_takes_the_path_with_slashes(http):
    reply = await http.get("/knowledge/file/shop/inventory.py",
                           params={"start_line": 1, "endLine": 12})
    body = reply.json()
    assert reply.status_code == 200 and body["path"] == "shop/inventory.py"
    assert body["textStartLine"] == 1 and body["textEndLine"] == 12
    assert "class InventoryRegistry" in body["text"]


async def test_overview(http, served):
    body = (await http.get("/knowledge/overview", params={"max_depth": 2})).json()
    assert body["workspace"] == served.workspace.id
    assert any(entry["path"] == "shop" for entry in body["layout"])


# --- the cap on the JSON body actually sent -------------------------------------------------

async def test_a_file_whose_json_is_over_the_cap_is_refit_and_continues(http):
    """As protobuf the first page of quotes.py fits 50,000 bytes; as JSON it is about twice
    that. The gateway asks for a smaller budget: the body stays under the cap, says truncated,
    and the continuation it names reads on from there."""
    first = await http.get("/knowledge/file/quotes.py")
    assert first.status_code == 200, first.text
    assert len(first.content) <= CAP
    body = first.json()
    assert body["truncated"] is True and body["text"].startswith(ESCAPED_LINE)
    assert len(first.content) > CAP * 0.6  # refit to the cap, not to a fraction of it
    following = await http.get("/knowledge/file/quotes.py",
                               params={"start_line": body["textEndLine"] + 1})
    assert len(following.content) <= CAP
    assert following.json()["textStartLine"] == body["textEndLine"] + 1


async def test_search_hits_with_escaped_snippets_stay_under_the_cap(http):
    reply = await http.post("/knowledge/search", json={"query": "quoted", "page_size": 50})
    assert reply.status_code == 200 and len(reply.content) <= CAP
    assert reply.json()["hits"]


# --- hostile input ---------------------------------------------------------------------------

@pytest.mark.parametrize("body, reason", [
    (b"{", "MALFORMED_JSON"),
    (b"[1, 2]", "MALFORMED_JSON"),
    (b"[" * 100_000, "MALFORMED_JSON"),
    (b'{"query": 5}', "BAD_FIELD"),
    (b'{"query": "x", "page_size": "many"}', "BAD_FIELD"),
    (b'{"query": "x", "no_such_field": 1}', "BAD_FIELD"),
    (b'{"query": "x", "mode": "SEARCH_MODE_PSYCHIC"}', "BAD_FIELD"),
    (b'\xff\xfe{}', "MALFORMED_JSON"),
])
async def test_bad_bodies_are_400_with_one_line(http, body, reason):
    reply = await http.post("/knowledge/search", content=body,
                            headers={"content-type": "application/json"})
    status = assert_status_json(reply, 400, 3)
    assert status["details"][0]["reason"] == reason


async def test_server_side_validation_comes_back_as_400(http):
    reply = await http.post("/knowledge/search", json={"query": ""})
    assert_status_json(reply, 400, 3)
    escape = await http.get("/knowledge/file/%2E%2E/%2E%2E/etc/passwd")
    assert_status_json(escape, 400, 3)


async def test_huge_body_is_413(http):
    reply = await http.post("/knowledge/search", content=b" " * (2 << 20),
                            headers={"content-type": "application/json"})
    status = assert_status_json(reply, 413, 8)
    assert status["details"][0]["reason"] == "REQUEST_TOO_LARGE"


async def test_bad_paths_and_verbs(http):
    assert_status_json(await http.get("/knowledge/nothing"), 404, 5)
    assert_status_json(await http.get("/knowledge/file/not/indexed.py"), 404, 5)
    wrong = await http.delete("/system/llm_lock")
    assert_status_json(wrong, 405, 3)
    assert wrong.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("params, body", [({"max_depth": "deep"}, None),
                                          ({"nope": "1"}, None),
                                          ({}, b'{"max_depth": 2}')])
async def test_bad_query_parameters_and_stray_bodies_are_400(http, params, body):
    reply = await http.request("GET", "/knowledge/overview", params=params, content=body,
                               headers={"content-type": "application/json"})
    assert_status_json(reply, 400, 3)


async def test_a_body_that_is_not_json_is_415(http):
    reply = await http.post("/system/llm_lock", content=b"locked=true",
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert_status_json(reply, 415, 3)


async def test_host_and_origin_are_checked_as_on_the_mcp_transport(http):
    assert_status_json(await http.get("/stats", headers={"host": "evil.example"}), 421, 7)
    assert_status_json(await http.get("/stats", headers={"origin": "https://evil.example"}),
                       403, 7)
    local = await http.get("/stats", headers={"origin": "http://localhost:3000"})
    assert local.status_code == 200


# --- deadlines and streams --------------------------------------------------------------------

async def test_deadlines_from_grpc_timeout(http):
    """A watch never ends by itself while the lock stays put: with a 300 ms deadline the gRPC
    call is cut and the stream's last line is DEADLINE_EXCEEDED."""
    async with http.stream("GET", "/v1/llm_lock:watch",
                           headers={"grpc-timeout": "300m"}) as reply:
        lines = [json.loads(line) async for line in reply.aiter_lines() if line.strip()]
    assert "result" in lines[0] and lines[-1]["error"]["code"] == 4
    assert_status_json(await http.get("/stats", headers={"grpc-timeout": "soon"}), 400, 3)
    assert (await http.get("/stats", headers={"grpc-timeout": "10S"})).status_code == 200


async def _next_line(lines, predicate):
    async with asyncio.timeout(20):
        async for line in lines:
            if line.strip() and predicate(line):
                return line
    raise AssertionError("the stream ended first")


async def test_lock_watch_streams_newline_delimited_json(http):
    async with http.stream("GET", "/v1/llm_lock:watch") as reply:
        assert reply.headers["content-type"].startswith("application/x-ndjson")
        lines = reply.aiter_lines()
        first = json.loads(await _next_line(lines, lambda line: True))
        assert first["result"]["lock"]["locked"] is False
        await http.post("/system/llm_lock", json={"locked": True, "ttl_seconds": 60})
        try:
            taken = json.loads(await _next_line(lines, lambda line: '"locked":true' in line))
            assert taken["result"]["lock"]["holder"] == "agent"
        finally:
            await http.post("/system/llm_lock", json={"locked": False})


async def test_watch_as_server_sent_events(http):
    async with http.stream("GET", "/v1/llm_lock:watch",
                           headers={"accept": "text/event-stream"}) as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        line = await _next_line(reply.aiter_lines(), lambda line: True)
        assert line.startswith("data: ") and "lock" in json.loads(line[6:])


async def test_a_stream_refused_at_its_start_is_an_http_error(http):
    assert_status_json(await http.get("/v1/ingest/jobs/no-such-job:watch"), 404, 5)


# --- the generated OpenAPI document -----------------------------------------------------------

async def test_openapi_lists_every_route(http):
    from services.http_gateway.routes import route_table

    reply = await http.get("/openapi.json")
    assert len(reply.content) <= CAP
    document = reply.json()
    listed = {(path, verb.upper()) for path, ops in document["paths"].items() for verb in ops}
    expected = {(r.template.replace("{path=**}", "{path}"), r.verb) for r in route_table()}
    assert listed == expected
    search = document["paths"]["/knowledge/search"]["post"]
    schema = search["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert "query" in document["components"]["schemas"][schema.rsplit("/", 1)[1]]["properties"]


# --- the token and TLS ---------------------------------------------------------------------------

async def test_token_is_required_except_for_health(tmp_path):
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_HTTP_PORT="0",
                              KNOWPORT_AUTH_TOKEN="s3cret") as server:
        base = f"http://127.0.0.1:{server.running.gateway.port}"
        async with httpx.AsyncClient(base_url=base) as http:
            refused = await http.get("/stats")
            assert_status_json(refused, 401, 16)
            assert refused.headers["www-authenticate"].startswith("Bearer")
            wrong = await http.get("/stats", headers={"authorization": "Bearer nope"})
            assert_status_json(wrong, 401, 16)
            right = await http.get("/stats", headers={"authorization": "Bearer s3cret"})
            assert right.status_code == 200
            assert (await http.get("/health")).json()["status"] == "ok"
            assert_status_json(await http.get("/openapi.json"), 401, 16)
            schema = await http.get("/openapi.json", headers={"authorization": "Bearer s3cret"})
            assert schema.status_code == 200


async def test_tls_with_the_servers_certificate(tmp_path):
    certs = make_certs(tmp_path)
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_HTTP_PORT="0",
                              KNOWPORT_TLS_CERT_FILE=str(certs["server"].cert),
                              KNOWPORT_TLS_KEY_FILE=str(certs["server"].key)) as server:
        port = server.running.gateway.port
        trust = ssl.create_default_context(cafile=str(certs["ca"].cert))
        async with httpx.AsyncClient(verify=trust) as http:
            reply = await http.get(f"https://localhost:{port}/health")
            assert reply.json()["status"] == "ok"
        async with httpx.AsyncClient() as plain:
            with pytest.raises(httpx.HTTPError):
                await plain.get(f"http://localhost:{port}/health")


async def test_health_is_503_once_the_server_stops_serving(tmp_path):
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_HTTP_PORT="0") as server:
        base = f"http://127.0.0.1:{server.running.gateway.port}"
        async with httpx.AsyncClient(base_url=base) as http:
            assert (await http.get("/health")).status_code == 200
            await server.running.health.shutdown()
            assert_status_json(await http.get("/health"), 503, 14)


async def test_mutual_tls_wants_a_client_certificate(tmp_path):
    certs = make_certs(tmp_path)
    async with running_server(MemoryStorage(), tmp_path, KNOWPORT_HTTP_PORT="0",
                              KNOWPORT_TLS_CERT_FILE=str(certs["server"].cert),
                              KNOWPORT_TLS_KEY_FILE=str(certs["server"].key),
                              KNOWPORT_TLS_CLIENT_CA_FILE=str(certs["ca"].cert)) as server:
        url = f"https://localhost:{server.running.gateway.port}/health"
        trust = ssl.create_default_context(cafile=str(certs["ca"].cert))
        async with httpx.AsyncClient(verify=trust) as anonymous:
            with pytest.raises(httpx.HTTPError):
                await anonymous.get(url)
        trust.load_cert_chain(str(certs["client"].cert), str(certs["client"].key))
        async with httpx.AsyncClient(verify=trust) as known:
            assert (await known.get(url)).json()["status"] == "ok"
