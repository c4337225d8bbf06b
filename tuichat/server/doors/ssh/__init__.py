"""The SSH door: ``ssh -p PORT alice@HOST`` serves the full client in the user's terminal;
without a terminal, line mode for bots; ``avatar`` sets a picture. Identity is by key."""
