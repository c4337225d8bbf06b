"""tuichat: a terminal chat client and server speaking a three-socket protocol."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tuichat")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
