"""Digests: a topic (or a time window) → documents → key sentences → a Markdown brief, every claim cited.

build.py (the whole flow), key_sentences.py (documents and their sentences), themes.py (groups of
documents and cross-document insights), markdown.py (the brief as Markdown), brief.py (Digest).
"""
