"""Recent searches' hits, kept until the store's next write."""

from __future__ import annotations

import threading
from collections import OrderedDict

from veille.index.hits import Hit


class SearchResults:
    """The hits of the last `size` searches, each kept until the store's next write.

    The same searches come back (a UI refreshing or paging, a notebook cell run again). On a store that
    only this process writes (`Store.generation` not None) their hits cannot have changed while the
    generation has not: a kept result is returned as a copy instead of searching again, which in the
    server under load is ~3 ms of the GIL per search saved (BENCHMARKS.md). Safe to share between threads."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[object, ...], tuple[int, list[Hit]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...], generation: int) -> list[Hit] | None:
        """Copies of the hits kept for `key` at this generation, or None."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is None or kept[0] != generation:
                return None
            self._kept.move_to_end(key)
        return [_copy(h) for h in kept[1]]

    def put(self, key: tuple[object, ...], generation: int, hits: list[Hit]) -> None:
        """Keep copies of `hits` for `key`, found at store generation `generation`."""
        copies = [_copy(h) for h in hits]
        with self._lock:
            self._kept[key] = (generation, copies)
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)


def _copy(hit: Hit) -> Hit:
    """A copy a reader may change without touching the kept hit: its lists are new, their items (strings,
    offset pairs) immutable. pydantic's deep copy walked every offset pair: ~13x slower, ~1.5 ms a search."""
    return hit.model_copy(update={"section": list(hit.section), "page_breaks": list(hit.page_breaks),
                                  "sentences": list(hit.sentences)})
