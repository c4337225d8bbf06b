"""The Textual client."""

from pathlib import Path

STYLESHEET = Path(__file__).with_name("tuichat.tcss")
"""Every style of the client; apps that show its widgets alone load it too."""
