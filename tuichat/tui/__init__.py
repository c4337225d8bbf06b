"""The Textual client (arrives with the TUI issue)."""
