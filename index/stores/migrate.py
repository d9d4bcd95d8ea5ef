"""Moving a knowledge base between stores, vectors included (nothing is re-embedded): `veille
migrate` (embedded ↔ server), and the one-time conversion of a folder written by qdrant-client's
local mode (the embedded store before Qdrant Edge) when a VEILLE_HOME is opened."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from veille.errors import StoreError
from veille.index.stores.base import Store
from veille.index.stores.edge import EdgeStore

EDGE_DIR = "edge"  # VEILLE_HOME/edge: the embedded store
LEGACY_DIR = "qdrant"  # VEILLE_HOME/qdrant: qdrant-client local mode, before
KEPT_DIR = "qdrant.local-mode"  # the legacy folder once converted, kept for the user to delete


def copy_store(source: Store, target: Store, *, source_name: str, batch: int = 256,
               progress: Callable[[int], None] | None = None) -> int:
    """Copy every chunk (with its vectors) and document record into `target`; the number of chunks.

    Points go before records, so an interrupted copy is completed by running it again."""
    info = source.stored_info()
    if info is None:
        raise StoreError("nothing to migrate: the store is empty", source=source_name)
    target.open(info)
    held = target.stored_info()
    if held is not None and info.runtime != held.runtime and info.runtime not in held.close_runtimes:
        raise StoreError(f"the target holds vectors from {held.runtime}, these come from {info.runtime}: "
                         "they would mix (re-embed one side first, `veille reembed`)", source=source_name)
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


def open_embedded(home: Path, collection: str) -> EdgeStore:
    """The embedded store of `home`, converting a local-mode folder first if that is what it holds."""
    legacy = home / LEGACY_DIR
    if not (home / EDGE_DIR).exists() and (legacy / "collection" / f"{collection}_chunks").exists():
        convert_legacy(home, collection)
    return EdgeStore(home / EDGE_DIR, collection)


def convert_legacy(home: Path, collection: str) -> int:
    """Copy a local-mode store into a new Edge store, verify it, then switch to it.

    The copy is built beside the old folder and only renamed into place once its counts match;
    an interrupted conversion starts again from scratch at the next open. The old folder is kept
    (renamed), so nothing is lost if the user wants it back."""
    from veille.index.stores.qdrant_server import QdrantStore  # qdrant-client is only needed for this

    legacy, building = home / LEGACY_DIR, home / f"{EDGE_DIR}.converting"
    shutil.rmtree(building, ignore_errors=True)
    old = QdrantStore(path=legacy, collection=collection)
    try:
        if old.stored_info() is None:
            return 0
        print(f"veille: converting {legacy} (qdrant-client local mode) to Qdrant Edge; vectors are copied, "
              "nothing is re-embedded", file=sys.stderr)
        new = EdgeStore(building, collection)
        try:
            copied = copy_store(old, new, source_name=str(legacy), batch=1024)
            _verify(old, new, legacy)
        finally:
            new.close()
    finally:
        old.close()
    building.rename(home / EDGE_DIR)
    legacy.rename(home / KEPT_DIR)
    print(f"veille: converted {copied} chunks; the old folder is kept as {home / KEPT_DIR} (delete it when "
          "you no longer need it)", file=sys.stderr)
    return copied


def _verify(old: Store, new: Store, legacy: Path) -> None:
    old_docs = {r.doc_id: r.chunks for r in old.docs()}
    new_docs = {r.doc_id: r.chunks for r in new.docs()}
    if old.count() != new.count() or old_docs != new_docs:
        raise StoreError(f"conversion check failed ({new.count()} of {old.count()} chunks, {len(new_docs)} of "
                         f"{len(old_docs)} documents); the old store is untouched, nothing was switched",
                         source=str(legacy))
