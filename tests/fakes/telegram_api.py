"""A fake Telegram Bot API server on 127.0.0.1, spoken to by the real python-telegram-bot.

`async with FakeBotApi(token) as fake:` serves `POST {fake.url}/bot<token>/<method>` in the
running event loop. It speaks getMe, deleteWebhook, setWebhook, getUpdates (offsets, long
poll capped at `poll_cap` seconds so a stopping bot is not held up), sendMessage, sendPhoto
(multipart), editMessageText, answerCallbackQuery and setMyCommands; records every call;
and answers 429 with `parameters.retry_after` on demand (`fake.throttle("sendMessage", 1)`).
Like Telegram it can also enforce flood limits (`flood=FloodLimits()`: 429 for a message
past ~30 a second overall or ~1 a second to one chat), refuse chats that blocked the bot
(403), and take its time over each message (`send_delay`).

Tests push updates as a user would (`fake.chat(42).send("/help")`, a button press) and await
what the bot sends back (`await chat.ask("/help")` returns the reply's text).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# Sent as text by PTB and kept as text here; every other parameter is JSON-decoded.
STRING_PARAMS = frozenset(
    {"text", "caption", "url", "secret_token", "callback_query_id", "parse_mode", "username"}
)
REPLY_METHODS = frozenset({"sendMessage", "sendPhoto", "editMessageText"})


@dataclass
class Call:
    """One request the bot made, as the fake decoded it, and how it was answered."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float
    status: int = 200

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard sent with the message (rows of {text, callback_data})."""
        markup = self.params.get("reply_markup") or {}
        rows: list[list[dict[str, Any]]] = markup.get("inline_keyboard", [])
        return rows


@dataclass
class FloodLimits:
    """Telegram's flood control as token buckets: `overall` messages a second with a burst
    of as many, `per_chat` a second to one chat with a burst of `chat_burst`."""

    overall: float = 30.0
    per_chat: float = 1.0
    chat_burst: float = 2.0
    _buckets: dict[object, tuple[float, float]] = field(default_factory=dict)

    def _take(self, key: object, rate: float, burst: float, now: float) -> bool:
        tokens, since = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - since) * rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        return True

    def admit(self, chat_id: int | None, now: float) -> bool:
        """Whether a message to `chat_id` now is within the limits (and count it if so)."""
        if chat_id is not None and not self._take(chat_id, self.per_chat, self.chat_burst, now):
            return False
        return self._take("overall", self.overall, self.overall, now)


@dataclass
class Throttle:
    method: str
    retry_after: int
    times: int


@dataclass
class FakeChat:
    """A chat as a test drives it: messages and button presses in, the bot's replies out."""

    api: FakeBotApi
    chat_id: int
    type: str = "private"
    from_id: int = 0
    username: str | None = None
    title: str | None = None

    def send(self, text: str) -> int:
        """Push a message into the chat; the update id."""
        return self.api.push_message(self, text)

    async def ask(self, text: str, *, timeout: float = 5.0) -> Call:
        """Send `text` and wait for the bot's next message (or edit) in this chat."""
        mark = len(self.api.calls)
        self.send(text)
        return await self.api.wait_reply(self.chat_id, after=mark, timeout=timeout)

    async def press(self, message: Call, label: str, *, timeout: float = 5.0) -> Call:
        """Press the button labelled `label` on a message the bot sent; wait for its effect."""
        labelled = (b for row in message.buttons for b in row if b["text"] == label)
        data = next(labelled)["callback_data"]
        mark = len(self.api.calls)
        self.api.push_callback(self, message, data)
        return await self.api.wait_reply(self.chat_id, after=mark, timeout=timeout)

    def chat_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.chat_id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.username or "User"
        else:
            chat["title"] = self.title or "A group"
        return chat

    def user_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.from_id, "is_bot": False, "first_name": "User"}
        if self.username:
            user["username"] = self.username
        return user


@dataclass
class FakeBotApi:
    token: str
    username: str = "tradebot_test_bot"
    poll_cap: float = 0.2
    calls: list[Call] = field(default_factory=list)
    # The command menus set with setMyCommands, by scope type ("default" without a scope).
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    photos: list[bytes] = field(default_factory=list)
    flood: FloodLimits | None = None
    # Chats that blocked the bot: sending there is refused with 403, as Telegram does.
    blocked: set[int] = field(default_factory=set)
    send_delay: float = 0.0  # seconds each sendMessage takes to answer

    def __post_init__(self) -> None:
        self.bot_id = int(self.token.split(":", 1)[0])
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chat_types: dict[int, str] = {}
        self._throttles: list[Throttle] = []
        self._changed = asyncio.Event()  # set and replaced on every change
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> FakeBotApi:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    # --- what tests do --------------------------------------------------------------------

    def chat(
        self,
        chat_id: int,
        type: str = "private",
        *,
        from_id: int | None = None,
        username: str | None = None,
    ) -> FakeChat:
        """A chat to drive; a private chat's id is its user's."""
        self._chat_types[chat_id] = type
        return FakeChat(self, chat_id, type, from_id or abs(chat_id), username)

    def push_message(self, chat: FakeChat, text: str) -> int:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat.chat_json(),
            "from": chat.user_json(),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._push({"message": message})

    def push_callback(self, chat: FakeChat, message: Call, data: str) -> str:
        """A press on a button of `message` (a sendMessage or editMessageText call)."""
        message_id = int(message.params.get("message_id") or message.params["_message_id"])
        query_id = str(next(self._query_ids))
        self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": chat.user_json(),
                    "chat_instance": f"ci-{chat.chat_id}",
                    "data": data,
                    "message": self._messages[(chat.chat_id, message_id)],
                }
            }
        )
        return query_id

    def throttle(self, method: str, retry_after: int, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and this retry_after."""
        self._throttles.append(Throttle(method, retry_after, times))

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[Call]:
        """Successful calls that send or edit messages (to `chat_id`, of `method`)."""
        return [
            c
            for c in self.calls
            if c.status == 200
            and (c.method == method if method else c.method in REPLY_METHODS)
            and (chat_id is None or c.chat_id == chat_id)
        ]

    async def wait_call(
        self, match: Callable[[Call], bool], *, after: int = 0, timeout: float = 5.0
    ) -> Call:
        """The first successful call after index `after` that `match`es, once it comes."""

        def found() -> Call | None:
            return next((c for c in self.calls[after:] if c.status == 200 and match(c)), None)

        async with asyncio.timeout(timeout):
            while (result := found()) is None:
                await self._changed.wait()
        return result

    async def wait_reply(self, chat_id: int, *, after: int = 0, timeout: float = 5.0) -> Call:
        return await self.wait_call(
            lambda c: c.method in REPLY_METHODS and c.chat_id == chat_id,
            after=after,
            timeout=timeout,
        )

    # --- the Bot API ----------------------------------------------------------------------

    def _push(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._notify()
        return update_id

    def _notify(self) -> None:
        """Wake every waiter: they look again at the calls and the pending updates."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params, files = await _read_params(request)
        call = Call(method, params, files, time.monotonic())
        self.calls.append(call)
        throttle = next((t for t in self._throttles if t.method == method and t.times > 0), None)
        if throttle is not None:
            throttle.times -= 1
            call.status = 429
            self._notify()
            return _error(
                429,
                f"Too Many Requests: retry after {throttle.retry_after}",
                {"retry_after": throttle.retry_after},
            )
        if method in REPLY_METHODS:
            refused = self._refuse_send(call)
            if refused is not None:
                return refused
        answer = getattr(self, f"_api_{method}", None)
        if answer is None:
            call.status = 404
            return _error(404, "Not Found: method not found")
        result = await answer(call)
        self._notify()
        return web.json_response({"ok": True, "result": result})

    def _refuse_send(self, call: Call) -> web.Response | None:
        """403 for a chat that blocked the bot, 429 past the flood limits, else None."""
        if call.chat_id in self.blocked:
            call.status = 403
            self._notify()
            return _error(403, "Forbidden: bot was blocked by the user")
        if self.flood is not None and not self.flood.admit(call.chat_id, call.at):
            call.status = 429
            self._notify()
            return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        return None

    def rejected(self, status: int = 429) -> list[Call]:
        """Calls answered with `status` (429: flood control)."""
        return [c for c in self.calls if c.status == status]

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Tradebot",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getMe(self, call: Call) -> dict[str, Any]:
        return self._bot_user()

    async def _api_deleteWebhook(self, call: Call) -> bool:
        self.webhook = {}
        return True

    async def _api_setWebhook(self, call: Call) -> bool:
        self.webhook = dict(call.params)
        return True

    async def _api_setMyCommands(self, call: Call) -> bool:
        scope = (call.params.get("scope") or {}).get("type", "default")
        self.commands[scope] = call.params["commands"]
        return True

    async def _api_answerCallbackQuery(self, call: Call) -> bool:
        return True

    async def _api_getUpdates(self, call: Call) -> list[dict[str, Any]]:
        offset = int(call.params.get("offset") or 0)
        if offset:
            # As Telegram: asking from `offset` confirms every update before it.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        wait = min(float(call.params.get("timeout") or 0), self.poll_cap)
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    while not self._updates:
                        await self._changed.wait()
        limit = int(call.params.get("limit") or 100)
        return self._updates[:limit]

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        kind = self._chat_types.get(chat_id, "private" if chat_id > 0 else "group")
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        chat["first_name" if kind == "private" else "title"] = "Chat"
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(),
            **content,
        }
        self._messages[(chat_id, message["message_id"])] = message
        return message

    async def _api_sendMessage(self, call: Call) -> dict[str, Any]:
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        content: dict[str, Any] = {"text": call.params["text"]}
        if call.params.get("reply_markup"):
            content["reply_markup"] = call.params["reply_markup"]
        message = self._message(int(call.params["chat_id"]), **content)
        call.params["_message_id"] = message["message_id"]
        return message

    async def _api_sendPhoto(self, call: Call) -> dict[str, Any]:
        photo = call.files.get("photo")
        assert photo, "sendPhoto without an uploaded photo"
        self.photos.append(photo)
        size = {"file_id": f"photo-{len(self.photos)}", "file_unique_id": f"u{len(self.photos)}"}
        content: dict[str, Any] = {"photo": [{**size, "width": 800, "height": 600}]}
        if call.params.get("caption"):
            content["caption"] = call.params["caption"]
        message = self._message(int(call.params["chat_id"]), **content)
        call.params["_message_id"] = message["message_id"]
        return message

    async def _api_editMessageText(self, call: Call) -> dict[str, Any]:
        key = (int(call.params["chat_id"]), int(call.params["message_id"]))
        message = self._messages[key]
        message["text"] = call.params["text"]
        message.pop("reply_markup", None)
        if call.params.get("reply_markup"):
            message["reply_markup"] = call.params["reply_markup"]
        return message


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A Bot API call's parameters, from JSON, a form or a multipart upload."""
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        return dict(body), {}
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = value.file.read()
        elif name in STRING_PARAMS:
            params[name] = value
        else:
            try:
                params[name] = json.loads(value)
            except ValueError:
                params[name] = value
    return params, files


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
