"""The engine's fixtures: an engine context on the test database and Redis, and the fake
Binance behind it."""

from tests.engine.conftest import engine, fake

__all__ = ["engine", "fake"]
