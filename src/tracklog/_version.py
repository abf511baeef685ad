"""tracklog's version, in a module of its own so that every layer can name it without importing
the public face (``tracklog/__init__.py`` names the SDK)."""

__version__ = "0.1.0"
