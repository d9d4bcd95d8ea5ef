# Veille HTTP API. Build: docker build -t veille .  (docker-compose.yml wires it to a Qdrant server)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VEILLE_HOME=/data
WORKDIR /app
# CPU-only torch first, so sentence-transformers does not pull the CUDA wheels
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md LICENSE ./
# the three folders are mapped into the one `veille` package by pyproject.toml
COPY ingest ./ingest
COPY index ./index
COPY api ./api
RUN pip install . && useradd --create-home --uid 10001 veille && mkdir -p /data && chown veille /data
USER veille
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health', timeout=4)"
CMD ["veille", "serve", "--host", "0.0.0.0", "--port", "8000"]
