"""tuichat-server: the headless threaded chat daemon."""
