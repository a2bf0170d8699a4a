"""The bot engine: claim due bots, run one strategy cycle each, persist, publish."""
