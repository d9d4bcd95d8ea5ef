"""Vector stores: the protocol every store implements (base.py), Qdrant Edge in-process (edge.py, the
default), a Qdrant server (qdrant_server.py), an in-memory store for unit tests (in_memory.py), the
one-process lock of embedded stores (process_lock.py), and copying between stores (migrate.py)."""
