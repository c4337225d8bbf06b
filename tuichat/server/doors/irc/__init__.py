"""The IRC door: IRC clients and bots in tuichat's rooms (rooms are channels)."""
