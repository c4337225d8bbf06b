"""Where the chat is kept: the history of each room, its order and its saved files."""
