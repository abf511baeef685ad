"""The tracking server: an ASGI app serving one store over HTTP (``tracklog server``)."""
