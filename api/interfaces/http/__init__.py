"""The HTTP API: app.py (the FastAPI app and its error mapping), read_routes.py, write_routes.py,
watch_routes.py, scheduler.py (due subscriptions), jobs.py (background ingest), shared_kb.py (one
knowledge base shared by the server's threads), limits.py (request sizes, CORS), client.py (what the
CLI uses when a server holds the store)."""
