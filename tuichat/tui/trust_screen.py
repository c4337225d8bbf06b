"""Trust on first use: ask once whether a server's self-signed certificate is the right one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tuichat.net.tls import fingerprint_groups

GROUPS_PER_LINE = 4
"""16 bytes a line: the fingerprint in two lines that fit the box at 80 columns."""


class TrustScreen(ModalScreen[bool]):
    """Shows the fingerprint; y trusts (and remembers), n or escape refuses."""

    BINDINGS = [
        Binding("y", "answer(True)", "Trust"),
        Binding("n,escape", "answer(False)", "Refuse"),
    ]

    def __init__(self, host: str, port: int, fingerprint: str) -> None:
        super().__init__()
        self._where = f"{host}:{port}"
        self._fingerprint = fingerprint

    def compose(self) -> ComposeResult:
        with Vertical(id="trust-box"):
            yield Static(f"First connection to {self._where} over TLS", id="trust-title",
                         markup=False)
            yield Static(
                "Its certificate is not signed by an authority this machine knows. Compare "
                "this fingerprint with the one the server logged at start-up (ask its "
                "operator) before you trust it:", id="trust-text", markup=False)
            groups = fingerprint_groups(self._fingerprint)
            lines = [" ".join(groups[at:at + GROUPS_PER_LINE])
                     for at in range(0, len(groups), GROUPS_PER_LINE)]
            yield Static("\n".join(lines), id="trust-fingerprint", markup=False)
            yield Static("y: trust and remember it · n: refuse", id="trust-keys", markup=False)

    def action_answer(self, trust: bool) -> None:
        self.dismiss(trust)
