"""Test data with pathologically long lines."""

from __future__ import annotations


def one_line_json(size: int) -> str:
    """A one-line JSON array of about `size` characters, with non-ASCII text in it (so that
    characters and bytes differ) and no line end at all."""
    records, length, i = [], 2, 0
    while length < size:
        record = f'{{"id":{i},"name":"naïve café №{i}","tags":["🚀","漢字"]}}'
        records.append(record)
        length, i = length + len(record) + 1, i + 1
    return "[" + ",".join(records) + "]"
