"""Test data with pathologically long lines."""

from __future__ import annotations


def one_line_json(size: int) -> str:
    """A one-line JSON array of about `size` characters, with non-ASCII text in it (so that
    characters and bytes differ) and no line end at all."""
    records, length, i = [], 2, 0
    while length < size:
        # Distinct keys, as real data has: a minified line's search terms then exceed
        # PostgreSQL's 1 MB tsvector limit when the line is one chunk.
        record = (f'{{"id":{i},"key":"k{i * 7919:012x}","ref":"r{i * 104729:012x}",'
                  f'"tag":"t{i * 31337:012x}","name":"naïve café №{i}","tags":["🚀","漢字"]}}')
        records.append(record)
        length, i = length + len(record) + 1, i + 1
    return "[" + ",".join(records) + "]"
