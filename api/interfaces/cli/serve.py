"""`veille serve`: the HTTP API on this knowledge base, advertised to local `veille ingest` runs."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
def serve(host: str, port: int) -> None:
    """Start the HTTP API (OpenAPI at /docs); the model is loaded once and the store held by the server."""
    import uvicorn

    from veille.interfaces.http.app import create_app
    from veille.interfaces.http.client import advertise, local_url
    app = create_app()
    with advertise(app.state.settings.home, local_url(host, port), app.state.instance):
        # SIGTERM: requests still open after 5 s are dropped; the ingest job stops after its batch
        uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
