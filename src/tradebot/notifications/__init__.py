"""Notifications to linked Telegram chats: a transactional outbox and its delivery task.

An event (a trade, a bot stopping, a bot error, an alarm firing) writes its message into
`notifications` in the same transaction that records it, keyed by the event's id, and only
when the user's chat is linked with that kind switched on. The delivery task (Celery, Beat)
claims due rows, sends them through the rate-limited bot, and marks each sent: a sender that
dies leaves what it had not marked to the next one, so nothing is lost, and an event written
twice is one row, so nothing is told twice.
"""
