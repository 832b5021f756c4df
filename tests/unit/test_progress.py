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
