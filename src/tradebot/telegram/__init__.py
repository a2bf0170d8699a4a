"""The Telegram bot: one token for every user, each chat linked to its own account.

`registry` holds what handler modules declare, `context` what a handler receives,
`loader` registers every module of `handlers/` on the python-telegram-bot Application that
`app` builds, and `webhook` feeds it from the API in webhook mode.
"""
