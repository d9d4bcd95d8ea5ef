"""The write routes: remove a document, ingest from arXiv or by upload, follow a job."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, HTTPException, UploadFile
from pydantic import BaseModel, Field

from veille.errors import NotFoundError, QueryError
from veille.ingest.local_files import SUPPORTED_SUFFIXES
from veille.interfaces.http.jobs import Job
from veille.interfaces.http.shared_kb import SharedKnowledgeBase
from veille.settings import Settings

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._\-\uac00-\ud7a3À-ÿ]+")


class ArxivRequest(BaseModel):
    """POST /ingest/arxiv: ids, a query, or a category window."""

    ids: list[str] | None = Field(default=None, examples=[["1706.03762"]])
    query: str | None = None
    category: str | None = None
    days: int = Field(default=1, ge=1, le=365)
    max_results: int = Field(default=50, ge=1, le=2000)


def write_routes(app: FastAPI, s: SharedKnowledgeBase, settings: Settings, writer: list[Any],
                 reader: list[Any]) -> None:
    """DELETE /documents/{id}, POST /ingest/arxiv, POST /ingest/upload, GET /jobs/{id}."""
    kb = s.kb

    @app.delete("/documents/{doc_id:path}", dependencies=writer)
    def delete(doc_id: str) -> dict[str, Any]:
        """Delete a document and its chunks."""
        if s.read(kb.document, doc_id) is None:
            raise NotFoundError("no such document", source=doc_id)
        record = s.call(kb.remove, doc_id)
        return {"deleted": record.doc_id, "chunks": record.chunks}

    @app.post("/ingest/arxiv", dependencies=writer, status_code=202)
    def ingest_arxiv(req: ArxivRequest) -> Job:
        """Fetch and ingest papers from arXiv in the background."""
        if sum(x is not None for x in (req.ids, req.query, req.category)) != 1:
            raise QueryError("give exactly one of ids, query or category", source="ingest/arxiv")
        return s.jobs.submit("arxiv", lambda progress: s.ingest(
            kb.ingest_arxiv, ids=req.ids, query=req.query, category=req.category, days=req.days,
            max_results=req.max_results, progress=progress), total=len(req.ids) if req.ids else None)

    @app.post("/ingest/upload", dependencies=writer, status_code=202)
    def upload(files: Annotated[list[UploadFile], File(description="PDF, notes or JSONL files.")],
               origins: Annotated[list[str] | None, Form(
                   description="Optional, one per file: the file's path on the sender's machine. The document "
                               "is stored under that name (never read from it), so sending the same file again "
                               "updates it instead of adding a copy.")] = None) -> Job:
        """Store uploaded files under VEILLE_HOME/uploads and ingest them in the background."""
        if origins is not None and (len(origins) != len(files) or any(not o or len(o) > 1024 for o in origins)):
            raise QueryError("give one origin (1 to 1024 characters) per file, or none", source="origins")
        names = origins or [Path(f.filename or "upload").name for f in files]
        if len(set(names)) < len(names):
            raise QueryError("two files have the same name; give each its origin", source="files")
        root, limit = settings.home / "uploads", settings.max_upload_mb
        saved = [save_upload(f, root, name, limit) for f, name in zip(files, names, strict=True)]
        mapping = {str(p): o for p, o in zip(saved, origins or [], strict=False)}
        return s.jobs.submit("upload", lambda progress: s.ingest(kb.ingest, saved, progress=progress,
                                                                 origins=mapping), total=len(saved))

    @app.get("/jobs/{job_id}", dependencies=reader)
    def job(job_id: str) -> Job:
        """Progress, counts and per-item errors of an ingest job."""
        found = s.jobs.get(job_id)
        if found is None:
            raise NotFoundError("no such job", source=job_id)
        return found


def save_upload(upload: UploadFile, root: Path, key: str, max_mb: int) -> Path:
    """Write one upload under `root` in a folder named after `key` (its origin or its name, so that
    sending a file again replaces it), under a sanitised name; refuse unknown types and oversize files."""
    raw = Path(upload.filename or "upload").name  # never a directory part from the client
    name = _SAFE_NAME.sub("_", raw).lstrip(".") or "upload"
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise QueryError(f"file type not allowed (expected one of {', '.join(sorted(SUPPORTED_SUFFIXES))})",
                         source=raw)
    data = upload.file.read(max_mb * 1024 * 1024 + 1)
    if len(data) > max_mb * 1024 * 1024:
        raise HTTPException(status_code=413, detail=f"{raw}: larger than {max_mb} MB")
    folder = root / hashlib.sha1(key.encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_bytes(data)
    return target
