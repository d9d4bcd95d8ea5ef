"""Copy a knowledge base from one store to another (embedded ↔ server), vectors included."""

from __future__ import annotations

from collections.abc import Callable

from veille.index.store import Store
from veille.ingest.errors import StoreError


def copy_store(source: Store, target: Store, *, source_name: str, batch: int = 256,
               progress: Callable[[int], None] | None = None) -> int:
    """Copy every chunk (with its vectors: nothing is re-embedded) and document record into `target`.

    Points go before records, so an interrupted copy is completed by running it again. Returns the
    number of chunks copied."""
    info = source.stored_info()
    if info is None:
        raise StoreError("nothing to migrate: the store is empty", source=source_name)
    target.open(info)
    copied, pending = 0, []
    for point in source.export_points(batch):
        pending.append(point)
        if len(pending) >= batch:
            target.upsert(pending)
            copied, pending = copied + len(pending), []
            if progress:
                progress(copied)
    if pending:
        target.upsert(pending)
        copied += len(pending)
    for record in source.docs():
        target.put_doc(record)
    return copied
