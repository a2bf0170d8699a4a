from __future__ import annotations

from fastapi import APIRouter

from tradebot.deps import CurrentUser
from tradebot.errors import Unauthorized, responses
from tradebot.models import User
from tradebot.users.schemas import UserOut

router = APIRouter(prefix="/users", tags=["users"], responses=responses(Unauthorized))


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> User:
    """The signed-in user."""
    return user
