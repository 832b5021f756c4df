"""The container build, checked without a Docker engine: `make lint`'s check passes on the
repository's Dockerfile and lock and catches what it is there for; docker-compose.yml runs the
MCP bridge over HTTP beside the server."""

from __future__ import annotations

import yaml

from tests.tools import container_build as check

GOOD = check.DOCKERFILE.read_text()
LOCK = check.parse_lock(check.LOCK.read_text())
PYPROJECT = check.PYPROJECT.read_text()


def without_lines(text: str, *starts: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith(starts))


def test_the_repository_passes_its_own_check():
    assert check.problems() == []
    assert check.main([]) == 0
    assert LOCK["torch"].endswith("+cpu")  # the build this venv runs, and the image installs


def test_a_dockerfile_without_user_is_caught():
    assert check.dockerfile_problems(without_lines(GOOD, "USER"), LOCK) == [
        "Dockerfile sets no USER: the server would run as root"]
    as_root = GOOD.replace("CMD [", "USER root\nCMD [")
    assert check.dockerfile_problems(as_root, LOCK) == [
        "Dockerfile's last USER is root: the server would run as root"]


def test_torch_from_pypi_or_unpinned_installs_are_caught():
    from_pypi = GOOD.replace(f"--index-url {check.TORCH_CPU_INDEX} ", "")
    assert "does not install torch==" in check.dockerfile_problems(from_pypi, LOCK)[0]
    extra = GOOD.replace("--index-url", "--extra-index-url")
    assert any("--extra-index-url" in p for p in check.dockerfile_problems(extra, LOCK))
    loose = GOOD.replace("-r requirements.lock", "sentence-transformers")
    assert check.dockerfile_problems(loose, LOCK) == [
        "Dockerfile installs unpinned: `pip install --no-cache-dir sentence-transformers` "
        "(use -r requirements.lock, or --no-deps for the project itself)"]


def test_a_lock_that_misses_or_contradicts_pyproject_is_caught():
    missing = {name: v for name, v in LOCK.items() if name != "mcp"}
    assert "requirements.lock misses mcp (pyproject.toml)" in check.lock_problems(
        PYPROJECT, missing)
    other = {**LOCK, "grpcio": "1.80.0"}
    assert check.lock_problems(PYPROJECT, other) == [
        "requirements.lock has grpcio==1.80.0, pyproject.toml wants ==1.85.1"]
    # A package some locked package needs (openai needs jiter) must be locked too.
    needed = {name: v for name, v in LOCK.items() if name != "jiter"}
    assert any(p.startswith("requirements.lock misses jiter")
               for p in check.lock_problems(PYPROJECT, needed))


def test_compose_runs_the_mcp_bridge_over_http_with_a_token_from_an_env_file():
    compose = yaml.safe_load((check.ROOT / "docker-compose.yml").read_text())
    bridge = compose["services"]["mcp"]
    assert bridge["command"] == ["knowport", "mcp", "--transport", "http"]
    assert bridge["depends_on"] == {"knowport": {"condition": "service_healthy"}}
    assert bridge["env_file"] == "mcp.env"
    env = bridge["environment"]
    assert "MCP_TOKEN" not in env  # never written into the compose file
    assert (env["GRPC_HOST"], env["GRPC_PORT"]) == ("knowport", "50051")
    assert (env["MCP_TRANSPORT"], env["MCP_HTTP_ALLOW_REMOTE"]) == ("http", "true")
    assert bridge["ports"] == [f"127.0.0.1:{env['MCP_HTTP_PORT']}:{env['MCP_HTTP_PORT']}"]
    assert compose["services"]["knowport"]["healthcheck"]["test"] == [
        "CMD", "knowport", "health"]
