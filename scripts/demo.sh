#!/usr/bin/env bash
# Set up, then run the main job on the sample corpus shipped in samples/: ingest it into a
# fresh knowledge base under .veille-demo/ and show what went in.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export VEILLE_HOME="${VEILLE_HOME:-$PWD/.veille-demo}"
veille ingest samples/
veille docs
veille search "Quelle mémoire le cache KV occupe-t-il ?" -k 3
veille search "KV 캐시 압축" -k 3 --lang en
veille ask "Combien de bits utilise la quantification du cache KV ?"
veille digest "KV cache compression" --lang en -o "$VEILLE_HOME/digest-kv-cache.md"
