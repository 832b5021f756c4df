from services.domain.models import Layer
from services.ingestor.progress import Progress, progress_line


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_completions_does_not_read_as_a_huge_rate():
    clock = Clock()
    progress = Progress(clock)
    progress.add("files_total", 100)
    clock.now += 5.0
    for i in range(16):  # one embedding batch finishing at once
        progress.persisted(f"f{i}.py", 2)
    assert progress.rate() == 16 / 5.0
    assert progress.eta_seconds() == (100 - 16) / (16 / 5.0)


def test_the_rate_forgets_old_completions():
    clock = Clock()
    progress = Progress(clock)
    progress.persisted("a.py", 1)
    clock.now += 60
    assert progress.rate() == 0.0
    assert progress.eta_seconds() == 0.0  # nothing left to do


def test_progress_line_names_done_total_rate_eta_skips_and_pause():
    line = progress_line({"files_total": 10, "files_persisted": 3, "files_failed": 1,
                          "files_per_second": 2.0, "eta_seconds": 3.0, "files_skipped": 2,
                          "paused_reason": "paused: LLM locked by a until t"})
    assert line == "4/10 files, 2.0 files/s, ETA 3s, 2 skipped, paused: LLM locked by a until t"


def test_each_layer_has_its_own_rate_and_eta_and_the_job_waits_for_the_slowest():
    clock = Clock()
    progress = Progress(clock)
    progress.add("files_total", 10)
    progress.layers[Layer.VECTORS].total = 10
    clock.now += 2.0
    for i in range(10):
        progress.persisted(f"f{i}.py", 1)
    progress.layers[Layer.VECTORS].finish()
    layers = {row["layer"]: row for row in progress.as_counts()["layers"]}
    assert (layers["structure"]["files_done"], layers["structure"]["eta_seconds"]) == (10, 0.0)
    assert layers["vectors"]["files_per_second"] == 0.5
    assert layers["vectors"]["eta_seconds"] == 18.0
    assert progress.as_counts()["eta_seconds"] == 18.0


def test_only_llm_gated_work_left_under_a_held_lock_reads_as_paused():
    progress = Progress(Clock())
    progress.add("files_total", 1)
    progress.layers[Layer.VECTORS].total = 1
    progress.layers[Layer.DESCRIPTIONS].total = 1
    progress.paused_reason = "paused: LLM locked by a until t"
    assert not progress.paused()  # structure still to do
    progress.persisted("a.py", 1)
    assert not progress.paused()  # local vectors still to do
    progress.vectors_gated = True
    assert progress.paused()
    rows = {row["layer"]: row["waiting_reason"] for row in progress.as_counts()["layers"]}
    assert rows == {"structure": "", "vectors": progress.paused_reason,
                    "descriptions": progress.paused_reason}


def test_progress_line_shows_the_later_layers():
    line = progress_line({"files_total": 4, "files_persisted": 4, "layers": [
        {"layer": "structure", "files_done": 4, "files_total": 4},
        {"layer": "vectors", "files_done": 1, "files_total": 4, "files_per_second": 0.5,
         "eta_seconds": 6.0},
        {"layer": "descriptions", "files_total": 4}]})
    assert line == "4/4 files, vectors 1/4 (0.5/s, ETA 6s), descriptions 0/4"


def test_a_later_layer_failing_does_not_count_as_a_file_through_the_structure():
    progress = Progress(Clock())
    progress.add("files_total", 2)
    progress.persisted("a.py", 1)
    progress.layers[Layer.VECTORS].total = 1
    progress.fail("a.py", "failed: vectors: down", Layer.VECTORS)
    assert progress_line(progress.as_counts()).startswith("1/2 files, ")


def test_a_file_skipped_on_reading_leaves_the_structure_layer_able_to_finish():
    progress = Progress(Clock())
    progress.add("files_total", 2)
    progress.persisted("a.py", 1)
    progress.skip("secret.py", "secret-looking content", Layer.STRUCTURE)
    assert progress.layers[Layer.STRUCTURE].finished
