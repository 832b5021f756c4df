"""`knowport search | file | overview | stats` against a real server, human and --json."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.cli_server import knowport, served_and_indexed

APP = '''"""Payment helpers."""


def charge_card(amount):
    """Charge the customer's card."""
    return amount


class Refunds:
    def refund_payment(self, payment_id):
        return charge_card(-1)
'''


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    (root / "billing").mkdir()
    (root / "billing" / "payments.py").write_text(APP)
    (root / "README.md").write_text("# Billing\n\nCharges and refunds.\n")
    with served_and_indexed(root) as env:
        yield env


def test_search_human_and_json(served):
    human = knowport(served, "search", "refund payment")
    assert human.returncode == 0, human.stderr
    assert "billing/payments.py" in human.stdout and "Refunds" in human.stdout
    answer = json.loads(knowport(served, "search", "charge card", "--json", "--mode",
                                 "lexical").stdout)
    assert answer["hits"][0]["path"] == "billing/payments.py"
    assert answer["hits"][0]["symbol"] == "charge_card"


def test_file_overview_stats(served):
    file = json.loads(knowport(served, "file", "billing/payments.py", "--json").stdout)
    assert file["language"] == "python"
    assert {s["name"] for s in file["symbols"]} >= {"charge_card", "Refunds"}
    overview = json.loads(knowport(served, "overview", "--json").stdout)
    assert any(x["language"] == "python" for x in overview["languages"])
    stats = json.loads(knowport(served, "stats", "--json").stdout)
    assert stats["files"] == 2
    assert "2 files" in knowport(served, "stats").stdout


def test_user_mistakes_are_one_line_with_a_meaningful_exit_code(served):
    missing = knowport(served, "file", "nope.py")
    assert missing.returncode == 1 and missing.stderr.startswith("knowport: NOT_FOUND")
    escape = knowport(served, "file", "../etc/passwd")
    assert escape.returncode == 1 and "Traceback" not in escape.stderr
    assert escape.stderr.count("\n") == 1


def test_text_search_shows_each_hits_code(served):
    human = knowport(served, "search", "charge card", "--mode", "lexical")
    assert human.returncode == 0, human.stderr
    assert re.search(r"^ +def charge_card\(amount\):$", human.stdout, re.M), human.stdout


def test_text_file_numbers_its_lines_and_lists_the_shown_ranges_symbols_after(served):
    human = knowport(served, "file", "billing/payments.py", "--start-line", "9",
                     "--end-line", "11")
    assert human.returncode == 0, human.stderr
    out = human.stdout
    code = re.search(r"^ *9 \| class Refunds:$", out, re.M)
    assert code and re.search(r"^ *11 \|         return charge_card\(-1\)$", out, re.M), out
    symbols = out.index("symbols in lines 9-11:")
    assert code.start() < symbols  # the code first, its symbols after
    assert re.search(r"9-11 +class +Refunds$", out[symbols:], re.M), out
    assert "charge_card" not in out[symbols:].split("\n  (")[0]  # outside the range
    assert "more elsewhere in the file" in out[symbols:]


def test_file_takes_an_absolute_path_inside_the_workspace(served):
    absolute = f"{served['WORKSPACE']}/billing/payments.py"
    human = knowport(served, "file", absolute)
    assert human.returncode == 0, human.stderr
    assert human.stdout.startswith("billing/payments.py (python")
    outside = knowport(served, "file", "/etc/passwd")
    assert outside.returncode == 1 and "INVALID_ARGUMENT" in outside.stderr


def test_text_overview_shows_the_layout(served):
    human = knowport(served, "overview")
    assert human.returncode == 0, human.stderr
    layout = human.stdout.index("layout:")
    assert re.search(r"^  billing/ +1 files", human.stdout[layout:], re.M), human.stdout


def test_search_leaves_out_docs_and_tests_on_request(served):
    def paths(*args: str) -> list[str]:
        answer = knowport(served, "search", "refunds", "--mode", "lexical", "--json", *args)
        assert answer.returncode == 0, answer.stderr
        return [hit["path"] for hit in json.loads(answer.stdout)["hits"]]

    assert "README.md" in paths()
    assert paths("--exclude", "docs") == ["billing/payments.py"]
    assert paths("--exclude", "tests,docs") == ["billing/payments.py"]
    assert paths("--exclude", "tests", "--exclude", "docs") == ["billing/payments.py"]
    wrong = knowport(served, "search", "refunds", "--exclude", "tests,benchmarks")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert "unknown role benchmarks; valid: tests, docs" in wrong.stderr
