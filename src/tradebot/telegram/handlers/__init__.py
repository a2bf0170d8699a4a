"""Command handlers: every module here is loaded and registered by `tradebot.telegram.loader`."""
