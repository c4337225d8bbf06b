"""What the IRC door's command handlers need of the door and of its command table, as
protocols: the handlers import neither (the door makes the table, which makes them), so
no import runs in a circle, not even for the type checker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from tuichat.server.core.events import Door

if TYPE_CHECKING:
    from tuichat.net.frames import LeaveReason
    from tuichat.server.config import ServerConfig
    from tuichat.server.core.chat import Chat
    from tuichat.server.core.model import Member, Room
    from tuichat.server.core.requests import Request
    from tuichat.server.doors.irc.greeter import Greeter
    from tuichat.server.doors.irc.people import People
    from tuichat.server.doors.irc.render import Renderer
    from tuichat.server.doors.irc.replies import Replies
    from tuichat.server.doors.irc.session import IrcSession


class CommandHost(Protocol):
    """The command table, as its handlers use it."""

    def me(self, session: IrcSession) -> Member: ...

    def ask(self, session: IrcSession, request: Request) -> None: ...

    def channel(self, session: IrcSession, name: str, *, joined: bool = True,
                quiet: bool = False) -> Room | None: ...

    def note(self, session: IrcSession, text: str) -> None: ...


class DoorHost(Door, Protocol):
    """The door (a door of the chat), as the command table and its handlers use it."""

    @property
    def members(self) -> dict[Member, IrcSession]: ...

    @property
    def replies(self) -> Replies: ...

    @property
    def people(self) -> People: ...

    @property
    def greeter(self) -> Greeter: ...

    @property
    def renderer(self) -> Renderer: ...

    @property
    def commands(self) -> CommandHost: ...

    @property
    def chat(self) -> Chat: ...

    @property
    def config(self) -> ServerConfig: ...

    def leave(self, session: IrcSession, reason: LeaveReason, why: str) -> None: ...

    def end(self, session: IrcSession, text: str | None) -> None: ...

    def admitted(self, session: IrcSession, member: Member) -> None: ...
