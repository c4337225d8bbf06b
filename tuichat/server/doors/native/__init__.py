"""The three-socket protocol (``docs/PROTOCOL.md``): a session is a recv, a send and an
image connection, set up by ``hello`` and ``attach``, carrying newline-framed JSON."""
