"""ONNX Runtime under sentence-transformers: the encoder of a loaded model, exported once and run by ORT.

sentence-transformers' own `backend="onnx"` needs optimum-onnx, which pins transformers below 5
while sentence-transformers 6 needs 5 or later, so the two cannot be installed together. Veille
therefore does the export itself (torch → ONNX, ORT's transformer fusions, dynamic int8) and swaps
the transformer inside a loaded SentenceTransformer for an ORT session: tokenisation, prompts,
batching by length, truncation, pooling and normalisation all stay sentence-transformers'.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from veille.errors import EmbeddingError
from veille.index.embedding.runtimes import ONNX_RUNTIMES

log = logging.getLogger(__name__)
OPSET = 17


def onnx_file(st_model: Any, folder: Path, runtime: str) -> Path:
    """The model's encoder as an ONNX file under `folder/onnx/`, built on first use (atomically)."""
    target = folder / "onnx" / ONNX_RUNTIMES[runtime]
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    model = st_model[0].auto_model
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
        raw, fused = Path(tmp) / "raw.onnx", Path(tmp) / "fused.onnx"
        _export(model, raw)
        _fuse(raw, fused, model.config)
        built = fused if runtime == "onnx" else _quantize(fused, Path(tmp) / "int8.onnx", model.config)
        os.replace(built, target)
    log.info("built %s", target)
    return target


def _export(model: Any, path: Path) -> None:
    """torch → ONNX with dynamic batch and length axes."""
    import torch

    class Encoder(torch.nn.Module):
        """The forward as traced: ids and mask in, token states out."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    model.set_attn_implementation("eager")  # the traced eager attention is what ORT's fusion recognises
    ids = torch.ones((2, 8), dtype=torch.long)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "last_hidden_state": {0: "batch", 1: "tokens"}}
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of torch.export, whose graphs ORT's BERT
        # fusions do not match yet; its tracer notes (shape checks frozen as constants, indexing with
        # negative indices) do not apply to an encoder traced with both axes dynamic.
        warnings.simplefilter("ignore")
        torch.onnx.export(Encoder().eval(), (ids, ids), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    model.set_attn_implementation("sdpa")


def _fuse(src: Path, dst: Path, config: Any) -> None:
    """ORT's transformer fusions (attention, skip-layer-norm, bias-gelu): the CPU speed-up."""
    from onnxruntime.transformers import optimizer

    model = optimizer.optimize_model(str(src), model_type="bert", num_heads=config.num_attention_heads,
                                     hidden_size=config.hidden_size, opt_level=1)
    model.save_model_to_file(str(dst))


def _quantize(src: Path, dst: Path, config: Any) -> Path:
    """Dynamic int8 weights, one scale per output channel, activations quantised at run time.

    The FFN down-projections stay fp32: their input (after GELU) has outliers that one scale per
    tensor resolves badly. Weights use 7 bits (`reduce_range`): on x86 CPUs without VNNI, ORT's
    u8×s8 kernels add pairs of products in 16 bits, which saturate with full-range weights (each of
    these choices brings the vectors closer to fp32's: BENCHMARKS.md, "Embedding runtimes"). The
    embedding table (a Gather) stays fp32 too: it costs no arithmetic."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(src), load_external_data=False).graph
    shapes = {w.name: list(w.dims) for w in graph.initializer}
    down = [n.name for n in graph.node if n.op_type == "MatMul" and len(n.input) > 1
            and shapes.get(n.input[1], [0])[0] == config.intermediate_size]
    root = logging.getLogger()
    was, root.disabled = root.disabled, True  # quiets its "consider pre-processing" advice on the root logger
    try:
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                         op_types_to_quantize=["MatMul", "Attention"], nodes_to_exclude=down,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.disabled = was
    return dst


def use_onnx(st_model: Any, path: Path, threads: int | None = None) -> None:
    """Run `st_model`'s transformer through an ORT session on `path` from now on."""
    import onnxruntime as ort
    import torch
    from transformers.modeling_outputs import BaseModelOutput

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own Fail/InvalidGraph types, all Exceptions
        raise EmbeddingError(f"ONNX Runtime cannot load it: {exc}", source=str(path)) from exc
    transformer = st_model[0]
    config = transformer.auto_model.config

    class OrtModel(torch.nn.Module):
        """Stands in for the transformers model: same call, same output field."""

        def __init__(self) -> None:
            super().__init__()
            self.config = config
            self.register_buffer("anchor", torch.zeros(1), persistent=False)  # model.device for ST

        def forward(self, input_ids: Any, attention_mask: Any, **_: Any) -> Any:
            feed = {"input_ids": input_ids.numpy().astype(np.int64),
                    "attention_mask": attention_mask.numpy().astype(np.int64)}
            return BaseModelOutput(last_hidden_state=torch.from_numpy(session.run(None, feed)[0]))

    transformer.model = OrtModel()
    transformer.model_forward_params = {"input_ids", "attention_mask"}

