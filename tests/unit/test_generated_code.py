from tests.tools.proto_freshness import stale_files


def test_committed_generated_code_is_what_make_proto_writes():
    assert stale_files() == []
