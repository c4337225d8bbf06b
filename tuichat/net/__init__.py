"""The wire protocol, shared by the client and the server."""
