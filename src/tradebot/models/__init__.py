"""ORM models, one per file; importing this package registers them all on `Base.metadata`."""

from tradebot.models.alarm import Alarm
from tradebot.models.api_key import ApiKey
from tradebot.models.backtest import Backtest
from tradebot.models.base import Base
from tradebot.models.bot_config import BotConfig
from tradebot.models.bot_error import BotError
from tradebot.models.bot_state import BotState
from tradebot.models.notification import Notification
from tradebot.models.sim_balance import SimBalance
from tradebot.models.telegram_link import TelegramLink, TelegramLinkCode
from tradebot.models.trade import Trade
from tradebot.models.user import User

__all__ = [
    "Alarm",
    "ApiKey",
    "Backtest",
    "Base",
    "BotConfig",
    "BotError",
    "BotState",
    "Notification",
    "SimBalance",
    "TelegramLink",
    "TelegramLinkCode",
    "Trade",
    "User",
]
