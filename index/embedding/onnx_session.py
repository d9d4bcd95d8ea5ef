"""A model folder's ONNX encoder run with `tokenizers` and ONNX Runtime alone, once the file exists.

Loading sentence-transformers imports torch, transformers and scikit-learn (~10 s cold on 2 cores)
before it builds a torch model that the ONNX runtimes then set aside; a `veille search` from the shell
paid that on every call. The steps are few and fixed for the folders Veille runs on ONNX (a
Transformer, mean or CLS pooling, optional normalisation, its prompts), so they are done here with
the same tokenizer file, the same 512-token truncation and the same pooling: the vectors are those
of the sentence-transformers path (cosine ≥ 0.99999, tested), and keep its runtime label. The first
use of a runtime (the export itself) still goes through sentence-transformers (onnx_export.py).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from veille.errors import EmbeddingError
from veille.index.embedding import fast_tokenizer
from veille.index.embedding.embedder import MAX_TOKENS, PrefixedEncoder
from veille.index.embedding.runtimes import default_model_dir

TOKEN_BUDGET = 512  # positions (rows x longest row) in one ORT run: see `batches`
QUICK_TEXTS = 8  # batches up to this size are tokenized by fast_tokenizer until `tokenizers` is loaded
log = logging.getLogger(__name__)
T = TypeVar("T")


def mapped(onnx_path: Path) -> Path:
    """The same model with its weights in a file beside the graph (ONNX "external data"), made once.

    ONNX Runtime parses a single-file model's 470 MB of weights on every load (1.8 s here, the
    largest part of a cold `veille search`); weights in their own file are memory-mapped instead
    (0.13 s), and shared between processes through the page cache. Same graph, same weights: the
    vectors do not change. If the copy cannot be made, the file is used as it is."""
    folder = onnx_path.parent / (onnx_path.stem + ".mapped")
    target = folder / onnx_path.name
    if target.exists():
        return target
    try:
        import onnx  # only for this one-time copy

        model = onnx.load(str(onnx_path))
        with tempfile.TemporaryDirectory(dir=onnx_path.parent, prefix=".map-") as tmp:
            onnx.save_model(model, str(Path(tmp) / onnx_path.name), save_as_external_data=True,
                            all_tensors_to_one_file=True, location=onnx_path.name + ".data", size_threshold=1024)
            shutil.rmtree(folder, ignore_errors=True)  # a copy half made by a killed process
            os.replace(tmp, folder)
    except (OSError, ValueError, ImportError) as exc:
        log.warning("could not lay out %s for memory mapping (%s); loading it whole", onnx_path, exc)
        return onnx_path
    return target


def pipeline_of(folder: Path) -> dict[str, Any] | None:
    """What this module needs from a sentence-transformers folder, or None if it holds other steps."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]):
            return None
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        mode = pooling.get("pooling_mode") or ("mean" if pooling.get("pooling_mode_mean_tokens") else
                                               "cls" if pooling.get("pooling_mode_cls_token") else None)
        if mode not in ("mean", "cls") or not (folder / "tokenizer.json").exists():
            return None
        prompts = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, IndexError):
        return None
    return {"pooling": mode, "normalize": kinds[2:] == ["Normalize"], "prompts": prompts.get("prompts") or {}}


def batches(lengths: Sequence[int], most: int, budget: int | None = None) -> list[list[int]]:
    """Indices grouped into batches of similar token counts, each padded to at most `budget` positions.

    Padding is compute spent on nothing, and on a CPU a batch gains nothing once its rows fill the
    cores' GEMMs: long chunks run about as fast one at a time as in large batches, short sentences gain
    from a few together. Token counts, not characters, decide (scripts and PDF text differ in characters
    per token). int8 quantises a batch's activations with one scale, so there a text's vector also
    depends a little on its neighbours (cosine ≥ 0.997); fp32 vectors do not (≥ 0.99999)."""
    budget = budget or TOKEN_BUDGET
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    out: list[list[int]] = []
    for i in order:  # ascending: the newest row is the batch's longest
        if (out and len(out[-1]) < most and (len(out[-1]) + 1) * lengths[i] <= budget
                and lengths[i] - lengths[out[-1][0]] <= lengths[i] // 8):  # at most 1/8 of a row padding
            out[-1].append(i)
        else:
            out.append([i])
    return out


class _Progress:
    """Where one `shared_run` stands: the next job to take, how many are finished, the first error."""

    def __init__(self, jobs: int) -> None:
        self.jobs, self.taken, self.finished = jobs, 0, 0
        self.error: Exception | None = None
        self.changed = threading.Condition()


def shared_run(jobs: Sequence[Callable[[], T]], helpers: ThreadPoolExecutor | None, most: int) -> list[T]:
    """The jobs' results in order, computed by the calling thread and up to `most` helpers of the pool
    (each takes the next job until none is left). The caller never waits for a helper to start: when
    the pool is busy with other calls (a server's concurrent requests), it does the work itself."""
    results: list[Any] = [None] * len(jobs)
    state = _Progress(len(jobs))

    def work() -> None:
        while True:
            with state.changed:
                if state.taken >= state.jobs or state.error is not None:
                    return
                i, state.taken = state.taken, state.taken + 1
            try:
                results[i] = jobs[i]()
            except Exception as exc:  # given to the caller, which raises it
                with state.changed:
                    state.error = state.error or exc
                    state.changed.notify_all()
                return
            with state.changed:
                state.finished += 1
                state.changed.notify_all()

    if helpers is not None:
        for _ in range(min(most, len(jobs) - 1)):
            helpers.submit(work)
    work()
    with state.changed:
        state.changed.wait_for(lambda: state.finished == state.jobs or state.error is not None)
    if state.error is not None:
        raise state.error
    return results


class OrtEmbedder(PrefixedEncoder):
    """Unit-norm embeddings from an exported encoder; the Embedder protocol of embedder.py."""

    def __init__(self, folder: Path, onnx_path: Path, pipeline: dict[str, Any], *, model_id: str, runtime: str,
                 query_prefix: str, passage_prefix: str, batch_size: int = 32, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.model_id, self.runtime, self.batch_size = model_id, runtime, batch_size
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.pooling, self.normalize = pipeline["pooling"], pipeline["normalize"]
        # `tokenizers` takes ~1.3 s to load a 250k-piece vocabulary, so it is loaded on first need: a process
        # that embeds a few queries (a `veille search`) tokenizes them with fast_tokenizer's equivalent.
        self._tokenizer_file = folder / "tokenizer.json"
        self._tokenizer: Any = None
        self._quick = fast_tokenizer.load(self._tokenizer_file, default_model_dir() / "tokenizers")
        options = ort.SessionOptions()
        # One ORT thread a run, and the batches of one call run side by side on `threads` cores (the
        # caller's thread and shared helpers, see `shared_run`): ORT splits one run's small GEMMs across
        # threads poorly, so an answer's pool of sentences (several batches) is faster this way, though
        # a single query is a little slower. The vectors are bit-identical.
        options.intra_op_num_threads = 1
        self.workers = max(1, threads or os.cpu_count() or 1)
        self._helpers = ThreadPoolExecutor(self.workers - 1, thread_name_prefix="veille-embed") \
            if self.workers > 1 else None
        # Threads that spin while waiting for work burn the cores the server's other requests need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(mapped(onnx_path)), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph types, all Exceptions
            raise EmbeddingError(f"ONNX Runtime cannot load it: {exc}", source=str(onnx_path)) from exc
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self._lock = threading.Lock()  # a tokenizer object is not to be shared by threads at once

    @property
    def tokenizer(self) -> Any:
        """`tokenizers`' own (loaded on first use, under the lock); its vocabulary is saved for fast_tokenizer."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(str(self._tokenizer_file))
            if self._quick is None:
                fast_tokenizer.save(self._tokenizer_file, default_model_dir() / "tokenizers", self._tokenizer)
        return self._tokenizer

    def _rows(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's token ids (special tokens included), truncated to MAX_TOKENS, not padded."""
        with self._lock:
            if self._tokenizer is None and self._quick is not None and len(texts) <= QUICK_TEXTS:
                return [self._quick.ids(t, MAX_TOKENS) for t in texts]
            self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
            self.tokenizer.no_padding()
            return [e.ids for e in self.tokenizer.encode_batch(list(texts))]

    def _pad_id(self) -> int:
        pad = self._tokenizer.token_to_id("<pad>") if self._tokenizer is not None else None
        if pad is None and self._quick is not None:
            pad = self._quick.added.get("<pad>")
        return pad if pad is not None else 0

    def _batch(self, rows: list[list[int]]) -> np.ndarray:
        """Vectors of one batch, padded to its longest row."""
        ids = np.full((len(rows), max(len(r) for r in rows)), self._pad_id(), dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, row in enumerate(rows):
            ids[i, :len(row)], mask[i, :len(row)] = row, 1
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        if self.pooling == "cls":
            vecs = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            vecs = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self.normalize:
            vecs = vecs / np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
        return np.asarray(vecs, dtype=np.float32)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """Texts in order of token count, batched by `batches`, the batches shared among the cores."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        rows = self._rows([prefix + t for t in texts]) if texts else []
        parts = batches([len(r) for r in rows], self.batch_size)
        # the costliest batches first: the cores then finish together rather than one waiting on the other's
        # last long batch
        parts.sort(key=lambda part: -len(part) * max(len(rows[i]) for i in part))
        jobs = [functools.partial(self._batch, [rows[i] for i in part]) for part in parts]
        for part, vecs in zip(parts, shared_run(jobs, self._helpers, self.workers - 1), strict=True):
            out[part] = vecs
        return out

    def passage_lengths(self, texts: Sequence[str]) -> list[int]:
        """Tokens each passage is embedded with (prefix, special tokens, truncation), in one call."""
        return [len(r) for r in self._rows([self.passage_prefix + t for t in texts])] if texts else []

    def count_tokens(self, text: str) -> int:
        """Token count with the model's own tokenizer (special tokens and prefix included)."""
        with self._lock:
            self.tokenizer.no_truncation()
            self.tokenizer.no_padding()
            return len(self.tokenizer.encode(self.passage_prefix + text).ids)
