"""The reading room: the pages `veille serve` serves at `/` to ask, search, read every citation at its
place, write digests, keep the library and run the watch (pages.py mounts them on the HTTP app)."""
