"""What a handler module declares: its commands and inline-keyboard buttons, as data.

A module in `tradebot.telegram.handlers` decorates plain async functions; the loader finds
them, and `/help` and Telegram's command menu are generated from the same specs::

    @command("price", description="Last price of a symbol", usage="/price SYMBOL",
             section=MARKET, min_args=1, max_args=1)
    async def price(c: CommandContext) -> None:
        await c.reply(...)

Nothing is registered globally: the decorator attaches the spec to the function.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from tradebot.telegram.context import ButtonContext, CommandContext

CommandFn = Callable[["CommandContext"], Awaitable[None]]
ButtonFn = Callable[["ButtonContext"], Awaitable[None]]
F = TypeVar("F", bound=Callable[..., Awaitable[None]])

# Telegram's rules for a command name (BotCommand) and a button's callback data (64 bytes).
_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_ACTION_RE = re.compile(r"[a-z0-9_]{1,24}")
MAX_DESCRIPTION = 256

# `/help` lists sections in this order, any other after them alphabetically.
START, MARKET, ALARMS, TRADING = "Getting started", "Market", "Alarms", "Trading"
SECTION_ORDER = (START, MARKET, ALARMS, TRADING)

SPEC_ATTR = "__telegram_spec__"


class UsageError(Exception):
    """Raised by a handler for arguments it cannot use; the reply is the usage line, after
    the message when one is given."""


@dataclass(frozen=True)
class CommandSpec:
    """One command: how it is called, what `/help` says of it, who may use it where."""

    name: str
    handler: CommandFn
    description: str
    usage: str
    aliases: tuple[str, ...] = ()
    section: str = START
    # Needs a linked account: refused in group chats and in chats not linked to one.
    account: bool = False
    # Answers in a private chat only (linking, for one).
    private_only: bool = False
    min_args: int = 0
    max_args: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def in_groups(self) -> bool:
        """Whether group chats may use it: never account data, never linking."""
        return not (self.account or self.private_only)

    def accepts(self, count: int) -> bool:
        """Whether `count` arguments fit the declared range."""
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)


@dataclass(frozen=True)
class ButtonSpec:
    """The handler of inline-keyboard buttons whose callback data starts with `action`."""

    action: str
    handler: ButtonFn
    account: bool = False


def command(
    name: str,
    *,
    description: str,
    usage: str | None = None,
    aliases: tuple[str, ...] = (),
    section: str = START,
    account: bool = False,
    private_only: bool = False,
    min_args: int = 0,
    max_args: int | None = None,
) -> Callable[[F], F]:
    """Declare the decorated function as the handler of `/name` (and its aliases)."""
    for each in (name, *aliases):
        if not _NAME_RE.fullmatch(each):
            raise ValueError(f"command {each!r}: use 1-32 of a-z, 0-9 and _")
    if not 0 < len(description) <= MAX_DESCRIPTION:
        raise ValueError(f"command {name!r}: description of 1-{MAX_DESCRIPTION} characters")
    if max_args is not None and max_args < min_args:
        raise ValueError(f"command {name!r}: max_args below min_args")

    def attach(fn: F) -> F:
        spec = CommandSpec(
            name=name,
            handler=fn,
            description=description,
            usage=usage or f"/{name}",
            aliases=aliases,
            section=section,
            account=account,
            private_only=private_only,
            min_args=min_args,
            max_args=max_args,
        )
        setattr(fn, SPEC_ATTR, spec)
        return fn

    return attach


def button(action: str, *, account: bool = False) -> Callable[[F], F]:
    """Declare the decorated function as the handler of buttons made with `Button(action=...)`."""
    if not _ACTION_RE.fullmatch(action):
        raise ValueError(f"button action {action!r}: use 1-24 of a-z, 0-9 and _")

    def attach(fn: F) -> F:
        setattr(fn, SPEC_ATTR, ButtonSpec(action=action, handler=fn, account=account))
        return fn

    return attach


@dataclass(frozen=True)
class Button:
    """An inline-keyboard button; pressing it calls the `@button(action)` handler with
    `args` (callback data `action:arg:arg`, at most 64 bytes)."""

    label: str
    action: str
    args: tuple[str, ...] = ()

    @property
    def data(self) -> str:
        data = ":".join((self.action, *self.args))
        if len(data.encode()) > 64:
            raise ValueError(f"callback data over 64 bytes: {data!r}")
        return data


def parse_data(data: str) -> tuple[str, list[str]]:
    """A button's (action, args) from its callback data."""
    action, *args = data.split(":")
    return action, args


@dataclass
class Registry:
    """Every command and button the handler modules declare, in declaration order."""

    commands: list[CommandSpec]
    buttons: list[ButtonSpec]

    @classmethod
    def collect(cls, modules: list[Any]) -> Registry:
        """The specs found on the modules' functions; a name declared twice is an error."""
        commands: list[CommandSpec] = []
        buttons: list[ButtonSpec] = []
        for module in modules:
            for value in vars(module).values():
                spec = getattr(value, SPEC_ATTR, None)
                if isinstance(spec, CommandSpec):
                    commands.append(spec)
                elif isinstance(spec, ButtonSpec):
                    buttons.append(spec)
        cls._check_unique([n for c in commands for n in c.names], "command")
        cls._check_unique([b.action for b in buttons], "button action")
        return cls(commands, buttons)

    @staticmethod
    def _check_unique(names: list[str], what: str) -> None:
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ValueError(f"{what} {name!r} declared twice")
            seen.add(name)

    def find(self, name: str) -> CommandSpec | None:
        """The command called `name` or aliased so."""
        name = name.lower().lstrip("/")
        return next((c for c in self.commands if name in c.names), None)

    def sections(self, *, group: bool) -> list[tuple[str, list[CommandSpec]]]:
        """The commands by section in `/help` order; in a group chat only those it may use."""
        by_section: dict[str, list[CommandSpec]] = {}
        for spec in self.commands:
            if spec.in_groups or not group:
                by_section.setdefault(spec.section, []).append(spec)

        def rank(section: str) -> tuple[int, str]:
            known = section in SECTION_ORDER
            return (SECTION_ORDER.index(section) if known else len(SECTION_ORDER), section)

        return [(s, by_section[s]) for s in sorted(by_section, key=rank)]
