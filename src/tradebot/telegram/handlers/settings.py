"""/settings: which notifications reach the linked chat."""

from __future__ import annotations

from tradebot.models.telegram_link import NOTIFICATION_KINDS
from tradebot.telegram.context import CommandContext
from tradebot.telegram.registry import UsageError, command
from tradebot.telegram_links import service

KIND_LABELS = {
    "trade": "trades executed",
    "stopped": "a bot stopped (target, loss limit, by hand, error)",
    "error": "bot errors",
    "alarm": "alarms fired",
}
SWITCH_WORDS = {"on": True, "off": False}


@command(
    "settings",
    description="Show or switch the notifications this chat gets",
    usage=f"/settings [{'|'.join(NOTIFICATION_KINDS)} on|off]",
    account=True,
    max_args=2,
)
async def settings(c: CommandContext) -> None:
    changes = _changes(c.args)
    async with c.session() as session:
        if changes:
            link = await service.set_switches(session, c.owner, changes)
        else:
            link = await service.get_link(session, c.owner)
        switches = service.switches(link)
    lines = [f"{k} — {'on' if on else 'off'}: {KIND_LABELS[k]}" for k, on in switches.items()]
    await c.reply("Notifications:\n" + "\n".join(lines))


def _changes(args: list[str]) -> dict[str, bool]:
    """`KIND on|off` as the switch to change; nothing for no arguments."""
    if not args:
        return {}
    if len(args) != 2:
        raise UsageError
    kind, word = (a.lower() for a in args)
    if kind not in NOTIFICATION_KINDS:
        raise UsageError(f"Name one of: {', '.join(NOTIFICATION_KINDS)}.")
    if word not in SWITCH_WORDS:
        raise UsageError("Say on or off.")
    return {kind: SWITCH_WORDS[word]}
