"""The ways into the chat. Each door reads its own wire, turns what it reads into the
core's typed requests, and turns the core's events back into its wire, encoded once per
event for all of its members; it never re-implements a rule of the chat."""
