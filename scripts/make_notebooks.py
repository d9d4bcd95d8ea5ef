"""Write the notebooks in notebooks/ (outputs stripped). Edit the cells here, then rerun this script."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent / "notebooks"
OPEN = """import os
from pathlib import Path

from veille import KnowledgeBase, Settings

# VEILLE_HOME selects the knowledge base; by default these notebooks build one from the shipped samples.
home = Path(os.environ.get("VEILLE_HOME", Path.home() / ".veille-notebooks"))
kb = KnowledgeBase(Settings(home=home))
if not kb.documents():
    samples = Path(os.environ.get("VEILLE_SAMPLES", Path.cwd().parent / "samples"))
    print(kb.ingest([samples]).items[:3])
len(kb.documents())"""

NOTEBOOKS = {
    "01-explore.ipynb": [
        new_markdown_cell("# Explore the archive\nWhat is in the knowledge base, and searching it in three languages."),
        new_code_cell(OPEN),
        new_code_cell("""from collections import Counter

docs = kb.documents()
for d in docs:
    print(f"{d.kind:6} {d.lang:3} {d.chunks:4} chunks  {d.title[:60]}")"""),
        new_code_cell("""print(Counter((d.lang, d.kind) for d in docs))
print(Counter(d.ingested_at.strftime("%Y-%m") for d in docs))"""),
        new_code_cell("""queries = ["Quelle mémoire occupe le cache KV ?",
           "What does retrieval-augmented generation do?",
           "어텐션 비용을 줄이는 방법"]
for query in queries:
    print(f"\\n{query}")
    for h in kb.search(query, k=3, per_doc=True):
        print(f"  {h.rank}. [{h.lang}] {h.title[:50]} — {' '.join(h.text.split())[:90]}")"""),
        new_markdown_cell("A hit in context: the chunks around it in its document."),
        new_code_cell("""hit = kb.search("quantification du cache", k=1)[0]
chunks = kb.chunks(hit.doc_id)
for c in chunks[max(hit.position - 1, 0):hit.position + 2]:
    print(("→ " if c["chunk_id"] == hit.chunk_id else "  ") + " ".join(c["text"].split())[:200])"""),
    ],
    "02-map.ipynb": [
        new_markdown_cell("# A map of the archive\n"
                          "Chunk embeddings in 2-D (PCA): cross-lingual neighbours sit together."),
        new_code_cell(OPEN),
        new_code_cell("""import numpy as np
from sklearn.decomposition import PCA

rows = [(p, v) for d in kb.documents() for p, v in kb.vectors(d.doc_id)]
vectors = np.array([v for _, v in rows])
xy = PCA(n_components=2, random_state=0).fit_transform(vectors - vectors.mean(axis=0))
len(rows)"""),
        new_code_cell("""import matplotlib

matplotlib.use("Agg")  # files, not windows: the notebook also runs headless in the tests
import matplotlib.pyplot as plt
from sklearn.cluster import KMeans

themes = KMeans(n_clusters=min(4, len(rows)), n_init=10, random_state=0).fit_predict(vectors)
fig, axes = plt.subplots(1, 2, figsize=(12, 5))
for lang in sorted({p["lang"] for p, _ in rows}):
    mask = np.array([p["lang"] == lang for p, _ in rows])
    axes[0].scatter(xy[mask, 0], xy[mask, 1], label=lang, s=30)
axes[0].set_title("by language")
axes[0].legend()
axes[1].scatter(xy[:, 0], xy[:, 1], c=themes, cmap="tab10", s=30)
axes[1].set_title("by theme (k-means)")
for (p, _), (x, y) in zip(rows, xy, strict=True):
    axes[1].annotate(p["title"][:18], (x, y), fontsize=6)
fig.savefig("map.png", dpi=120, bbox_inches="tight")
Path("map.png").stat().st_size > 0"""),
    ],
    "03-digest.ipynb": [
        new_markdown_cell("# Ask and digest from Python\n"
                          "Answers and digests with citations you can follow to the page."),
        new_code_cell(OPEN),
        new_code_cell("""answer = kb.ask("Combien de bits utilise la quantification du cache KV ?")
print(answer.answer)
for c in answer.citations:
    print(c.n, c.title, "p.", c.page, c.url)"""),
        new_code_cell("""from IPython.display import Markdown

digest = kb.digest("KV cache compression", lang="en")
Markdown(digest.markdown)"""),
        new_markdown_cell("Follow a citation: the quoted sentence inside its stored chunk, and the page it is on."),
        new_code_cell("""c = digest.citations[0]
chunk = {p["chunk_id"]: p for p in kb.chunks(c.doc_id)}[c.chunk_id]
assert chunk["text"][c.start:c.start + len(c.quote)] == c.quote
print(c.url, "page", c.page)
print(chunk["text"][max(c.start - 150, 0):c.start + len(c.quote) + 150])"""),
        new_code_cell("kb.close()"),
    ],
}


def main() -> None:
    """Write every notebook."""
    ROOT.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        for i, cell in enumerate(cells):
            cell["id"] = f"{name.split('-')[0]}-{i:02d}"  # stable ids: rewriting a notebook changes only its edits
        nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                "language": "python"}})
        nbformat.write(nb, ROOT / name)


if __name__ == "__main__":
    main()
