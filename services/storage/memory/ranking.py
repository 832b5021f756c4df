"""Picking the best few of many scored documents, for the memory adapter's indexes."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np


def best_scored(scores: np.ndarray, id_of: Callable[[int], str], limit: int,
                accept: Callable[[str], bool] | None,
                tie_key: Callable[[str], Hashable]) -> list[tuple[str, float]]:
    """The best `limit` accepted of the scored documents (`id_of` names position i), best
    first, equal scores in `tie_key` order: a partial sort picks the best few (and every
    document tied with the last of them), widening until `limit` are accepted."""
    wanted = limit if accept is None else limit + 8
    while True:
        if len(scores) <= wanted:
            head = np.arange(len(scores))
        else:
            cut = np.partition(scores, len(scores) - wanted)[len(scores) - wanted]
            head = np.flatnonzero(scores >= cut)  # ties with the last one come along
        ranked = sorted(((float(scores[i]), id_of(i)) for i in head),
                        key=lambda item: (-item[0], tie_key(item[1])))
        found = [(doc_id, score) for score, doc_id in ranked
                 if accept is None or accept(doc_id)]
        if len(found) >= limit or len(head) == len(scores):
            return found[:limit]
        wanted *= 4
