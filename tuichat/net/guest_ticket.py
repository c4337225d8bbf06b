"""How the browser door hands the client it starts (``tuichat --guest``) its ticket: in
the environment, never on the command line (where every user of the machine sees it)."""

TICKET_ENV = "TUICHAT_GUEST_TICKET"
"""The browser door's ticket for one session; the client takes it out at start."""
