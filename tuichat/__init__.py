"""tuichat: a terminal chat client and server speaking a three-socket protocol."""

__version__ = "0.1.0"
"""The one place the version is written; pyproject.toml reads it from here."""
