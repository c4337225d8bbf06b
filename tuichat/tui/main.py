"""Entry point of the ``tuichat`` command."""

import sys


def main() -> int:
    """Say that the Textual client is not here yet, and fail."""
    print(
        "tuichat: the Textual client is not built yet; use tuichat-server and tuichat.net",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
