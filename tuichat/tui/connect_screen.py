"""The connect screen: who you are, where to join, and what your picture will look like."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Button, Checkbox, Input, Static

from tuichat.net.names import name_problem, normalize_name
from tuichat.tui.avatars import AvatarRenderer, AvatarSourceError, choose_avatar
from tuichat.tui.settings import Settings

LABELS = {
    "name": "Name",
    "host": "Server",
    "port_recv": "Recv port",
    "port_send": "Send port",
    "port_image": "Image port",
    "avatar": "Picture",
    "password": "Join password",
    "admin_password": "Admin password",
}
SECRET_FIELDS = frozenset({"password", "admin_password"})
SERVER_FIELDS = frozenset({"host", "port_recv", "port_send", "port_image", "avatar"})
"""Fixed for a guest of a browser door: it joins this server, with no picture file of the
server's machine."""
PREVIEW_COLUMNS = (16, 8)
"""The preview draws the picture large, then at the size the chat shows it."""


def port_problem(text: str, *, optional: bool = False) -> str | None:
    """Why ``text`` is not a TCP port, or None."""
    if optional and not text.strip():
        return None
    if not text.strip().isdigit() or not 1 <= int(text) <= 65_535:
        return "a port is a number from 1 to 65535"
    return None


def _strips_text(strips: list[Strip]) -> Text:
    text = Text()
    for index, strip in enumerate(strips):
        if index:
            text.append("\n")
        for segment in strip:
            text.append(segment.text, segment.style)
    return text


class AvatarPreview(Static):
    """The chosen picture, large and at chat size, with where it comes from."""

    def __init__(self, renderer: AvatarRenderer, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._renderer = renderer

    def show(self, png: bytes | None, source: str) -> None:
        if png is None:
            self.update(Text(source, style="red"))
            return
        key = f"preview:{hash(png)}"
        pictures = [_strips_text(self._renderer.strips(key, png, columns))
                    for columns in PREVIEW_COLUMNS]
        caption = Text(source, style="dim")
        self.update(Group(Text("Your picture"), pictures[0], Text(""), pictures[1], caption))


class ConnectScreen(Screen[None]):
    """Fill in name and server, then Enter (or the button) joins."""

    BINDINGS = [
        Binding("ctrl+s", "join", "Join"),
        # Priority: the focus moves when Tab is read, so the keys typed after it (sent in
        # one burst by a terminal or tmux) go to the next field, not the one Tab left.
        Binding("tab", "app.focus_next", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True),
    ]

    class JoinRequested(Message):
        """The form is valid; join with these settings."""

        def __init__(self, settings: Settings) -> None:
            super().__init__()
            self.settings = settings

    def __init__(self, settings: Settings, *, error: str = "", note: str = "",
                 cwd: Path | None = None, fixed_server: bool = False) -> None:
        """``fixed_server``: the server, its ports, TLS and the picture cannot be changed."""
        super().__init__()
        self._fixed = fixed_server
        self.settings = settings
        self._error = error
        self._note = note
        self._cwd = cwd or Path.cwd()
        self._renderer = AvatarRenderer(max_entries=16)
        self._shown: tuple[str, str] | None = None
        self._picture_problem: str | None = None
        self._current: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        settings = self.settings
        image = "" if settings.port_image is None else str(settings.port_image)
        fields = [
            ("name", settings.name, "letters, digits, _ - ."),
            ("host", settings.host, "host name or address"),
            ("port_recv", str(settings.port_recv), ""),
            ("port_send", str(settings.port_send), ""),
            ("port_image", image, "recv port + 1"),
            ("avatar", str(settings.avatar or ""),
             "drawn from your name" if self._fixed else "PNG/JPEG path (empty: my_image.png)"),
            ("password", settings.password or "", "if the server has one"),
            ("admin_password", settings.admin_password or "", "optional"),
        ]
        yield Static("tuichat: join a chat", id="connect-title")
        yield Static(self._error, id="connect-error", markup=False)
        yield Static(self._note, id="connect-note", markup=False)
        with Horizontal(id="connect-body"):
            # One Static for all the labels: a widget per label doubles the form's cost.
            labels = [LABELS[key] for key, _, _ in fields] + ["Encryption"]
            yield Static("\n".join(labels), id="connect-labels")
            with Vertical(id="connect-form"):
                for key, value, placeholder in fields:
                    yield Input(value, placeholder=placeholder, id=key, compact=True,
                                password=key in SECRET_FIELDS, select_on_focus=False,
                                disabled=self._fixed and key in SERVER_FIELDS)
                yield Checkbox("TLS (the server runs with --tls)", settings.tls, id="tls",
                               compact=True, disabled=self._fixed)
            yield AvatarPreview(self._renderer, id="preview")
        yield Static(id="connect-problems", markup=False)
        with Horizontal(id="connect-actions"):
            yield Button("Join", id="join", variant="primary", compact=True)
            yield Static("enter joins · tab: next field · ^q quits",
                         id="connect-hint")

    def on_mount(self) -> None:
        self.query_one("#connect-error").display = bool(self._error)
        self.query_one("#connect-note").display = bool(self._note)
        self._check_all()
        self.query_one("#name", Input).focus()

    @property
    def problems(self) -> dict[str, str]:
        """The form's current problems by field (what the problems panel shows)."""
        return dict(self._current)

    # -- validation -------------------------------------------------------------------------

    def _value(self, key: str) -> str:
        return self.query_one(f"#{key}", Input).value

    def _problems(self) -> dict[str, str | None]:
        name = normalize_name(self._value("name").strip())
        return {
            "name": name_problem(name) if name else "your name is needed",
            "host": None if self._value("host").strip() else "the server's address is needed",
            "port_recv": port_problem(self._value("port_recv")),
            "port_send": port_problem(self._value("port_send")),
            "port_image": port_problem(self._value("port_image"), optional=True),
            "avatar": self._preview(),
        }

    def _preview(self) -> str | None:
        """Redraw the preview; the picture's problem, if any."""
        path_text = self._value("avatar").strip()
        path = Path(path_text).expanduser() if path_text else None
        name = normalize_name(self._value("name").strip()) or "?"
        # A picture file is read once, not on every keystroke in the name field.
        shown = (path_text, name if path is None else "")
        if shown == self._shown:
            return self._picture_problem
        self._shown = shown
        self._picture_problem = self._draw_preview(path, name)
        return self._picture_problem

    def _draw_preview(self, path: Path | None, name: str) -> str | None:
        preview = self.query_one(AvatarPreview)
        try:
            choice = choose_avatar(path, name, self._cwd)
        except AvatarSourceError as exc:
            preview.show(None, str(exc))
            return str(exc)
        preview.show(choice.png, choice.source)
        return None

    def _check_all(self) -> dict[str, str | None]:
        problems = self._problems()
        for key, problem in problems.items():
            self._show_problem(key, problem)
        return problems

    def _show_problem(self, key: str, problem: str | None) -> None:
        if problem is None:
            self._current.pop(key, None)
        else:
            self._current[key] = problem
        self.query_one(f"#{key}", Input).set_class(problem is not None, "invalid")
        panel = self.query_one("#connect-problems", Static)
        panel.update("\n".join(f"{LABELS[key]}: {text}" for key, text in self._current.items()))
        panel.display = bool(self._current)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        key = event.input.id or ""
        if key in ("name", "avatar"):
            self._show_problem("avatar", self._preview())
        if key in ("name", "host", "port_recv", "port_send", "port_image"):
            self._show_problem(key, self._problems()[key])

    # -- joining ----------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(Button.Pressed, "#join")
    def action_join(self) -> None:
        problems = self._check_all()
        first_bad = next((key for key, problem in problems.items() if problem), None)
        if first_bad is not None:
            self.query_one(f"#{first_bad}", Input).focus()
            return
        image = self._value("port_image").strip()
        avatar = self._value("avatar").strip()
        settings = replace(
            self.settings,
            name=normalize_name(self._value("name").strip()),
            host=self._value("host").strip(),
            port_recv=int(self._value("port_recv")),
            port_send=int(self._value("port_send")),
            port_image=int(image) if image else None,
            avatar=Path(avatar).expanduser() if avatar else None,
            password=self._value("password") or None,
            admin_password=self._value("admin_password") or None,
            tls=self.query_one("#tls", Checkbox).value,
        )
        self.post_message(self.JoinRequested(settings))

