"""A line-mode tuichat client built on ``tuichat.net``: for bots, pipes and quick tests.

Each line read from stdin is said to the room (lines starting with ``admin -`` are sent
as commands); everything the room says is printed. End of input says bye.

    python examples/line_chat.py alice [--host HOST] [--port-recv PORT] [--port-send PORT]
    echo "hello from a pipe" | python examples/line_chat.py bot
    python examples/line_chat.py alice --tls [--tls-ca CA.pem]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from tuichat.net.client import Connection, ConnectionClosed, ServerError
from tuichat.net.commands import is_admin_line
from tuichat.net.frames import DEFAULT_PORT_RECV, DEFAULT_PORT_SEND, Channel, Frame
from tuichat.net.tls import TlsClientConfig


def describe(frame: Frame) -> str | None:
    """One printable line for a frame a person cares about, or None."""
    kind = frame.get("type")
    if kind == "message":
        stamp = time.strftime("%H:%M", time.localtime(frame["ts"]))
        if frame.get("action") is True:
            return f"[{stamp}] * {frame['from']} {frame['text']}"
        return f"[{stamp}] {frame['from']}: {frame['text']}"
    if kind == "private":
        stamp = time.strftime("%H:%M", time.localtime(frame["ts"]))
        return f"[{stamp}] {frame['from']} -> {frame['to']} (private): {frame['text']}"
    if kind == "notice":
        return f"* {frame['text']}"
    if kind == "error":
        return f"! {frame.get('code')}: {frame.get('text', '')}"
    if kind == "join" and not frame.get("present"):
        return f"-> {frame['name']} joined"
    if kind == "leave":
        return f"<- {frame['name']} left ({frame['reason']})"
    if kind == "history":
        return "* the history was replaced"
    if kind == "shutdown":
        return f"* server: {frame.get('text', 'shutting down')}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port-send", type=int, default=DEFAULT_PORT_SEND)
    parser.add_argument("--port-recv", type=int, default=DEFAULT_PORT_RECV)
    parser.add_argument("--port-image", type=int, default=None)
    parser.add_argument("--password", default=None)
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("--tls-ca", type=Path, default=None, metavar="PEM",
                        help="trust servers signed by this CA (implies --tls)")
    args = parser.parse_args()
    tls = None
    if args.tls or args.tls_ca is not None:
        tls = TlsClientConfig(ca_file=args.tls_ca, ask=ask_on_terminal)

    def show(_channel: Channel, frame: Frame, _payload: bytes | None) -> None:
        line = describe(frame)
        if line is not None:
            print(line, flush=True)

    try:
        conn = Connection.open(
            args.host, args.name, port_send=args.port_send, port_recv=args.port_recv,
            port_image=args.port_image, password=args.password, on_frame=show, tls=tls,
        )
    except (ServerError, OSError) as exc:
        print(f"cannot join: {exc}", file=sys.stderr)
        return 1
    users = ", ".join(user["name"] for user in conn.welcome["users"])
    print(f"* joined as {conn.name}; here: {users}", flush=True)
    for message in conn.welcome["history"]:
        show(Channel.RECV, message, None)
    threading.Thread(target=send_lines, args=(conn,), daemon=True).start()
    conn.closed.wait()
    if conn.close_reason != "bye":
        print(f"* disconnected: {conn.close_reason}", file=sys.stderr)
        return 1
    return 0


def ask_on_terminal(host: str, port: int, fingerprint: str) -> bool:
    """Trust on first use: show a certificate no CA vouches for and ask, once."""
    if not sys.stdin.isatty():
        print(f"{host}:{port} has a certificate no CA vouches for ({fingerprint}), and "
              "there is no terminal to ask: connect once from a terminal to pin it, "
              "or pass --tls-ca", file=sys.stderr)
        return False
    print(f"{host}:{port} shows a certificate no CA vouches for:\n  {fingerprint}\n"
          "Compare it with the fingerprint the server logged when it started.",
          file=sys.stderr)
    return input("Trust it and remember it? [y/N] ").strip().lower() in ("y", "yes")


def send_lines(conn: Connection) -> None:
    """Say each line of stdin; admin lines go as commands, ``/me ACTION`` as an emote and
    ``/msg NAME TEXT`` privately; say bye at the end."""
    try:
        for line in sys.stdin:
            text = line.rstrip("\n")
            if not text.strip():
                continue
            words = text.split(maxsplit=2)
            if is_admin_line(text):
                conn.command(text)
            elif words[0] == "/me" and len(words) > 1:
                conn.say(text.split(maxsplit=1)[1], action=True)
            elif words[0] == "/msg" and len(words) == 3:
                conn.private(words[1], words[2])
            else:
                conn.say(text)
    except ConnectionClosed:
        return
    conn.bye()


if __name__ == "__main__":
    sys.exit(main())
