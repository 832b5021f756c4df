"""How the ONNX engine groups texts into forward passes: sorted by length, each pass padded to
its longest text within a budget of padded tokens (issue 12, item 4)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.inference.onnx_embedder import forward_batches


@given(st.lists(st.integers(min_value=1, max_value=256), max_size=300),
       st.integers(min_value=1, max_value=8192))
def test_every_text_once_sorted_and_within_the_budget(lengths, budget):
    batches = forward_batches(lengths, budget)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths)
    for batch in batches:
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= budget


def test_short_texts_share_a_pass_and_long_ones_take_fewer_per_pass():
    lengths = [10] * 40 + [200] * 10
    batches = forward_batches(lengths, 1000)
    assert [len(b) for b in batches] == [40, 5, 5]


def test_a_text_longer_than_the_budget_goes_alone():
    assert forward_batches([300, 5, 300], 256) == [[1], [0], [2]]
