"""Telegram chats linked to accounts: one-time link codes, the link, notification switches.

The REST API and the bot's commands call the same service.
"""
