"""One process at a time per embedded store folder, and a refusal that names the holder."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

import portalocker

from veille.errors import StoreError

LOCK_FILE = "veille.lock"
OWNER_FILE = "veille.owner"


class ProcessLock:
    """An exclusive lock on `folder` for this process's lifetime (released by close or by exit,
    even a kill -9: the operating system drops the lock with the process)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._handle: IO[str] | None = open(folder / LOCK_FILE, "a+")  # noqa: SIM115 (held open on purpose)
        try:
            portalocker.lock(self._handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
        except portalocker.exceptions.LockException as exc:
            self._handle.close()
            self._handle = None
            raise StoreError(lock_message(folder), source=str(folder)) from exc
        (folder / OWNER_FILE).write_text(json.dumps({"pid": os.getpid(), "cmd": _cmdline()}))

    def message(self) -> str:
        """What to tell a user refused by the store's own engine lock."""
        return lock_message(self.folder)

    def release(self) -> None:
        """Give the folder up."""
        if self._handle is None:
            return
        (self.folder / OWNER_FILE).unlink(missing_ok=True)
        portalocker.unlock(self._handle)
        self._handle.close()
        self._handle = None


def lock_message(folder: Path) -> str:
    """'the local store is in use by process N (command)…', with what to do about it."""
    owner = ""
    try:
        info = json.loads((folder / OWNER_FILE).read_text())
        owner = f" by process {info['pid']} ({info.get('cmd') or 'unknown command'})"
    except (OSError, ValueError, KeyError):
        pass
    return (f"the local store is in use{owner}. The embedded store allows one process at a time: stop that "
            "process (or send work through `veille serve`), or set VEILLE_QDRANT_URL to use a Qdrant server")


def _cmdline() -> str:
    try:
        return Path("/proc/self/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""
