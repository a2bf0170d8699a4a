from __future__ import annotations

from datetime import datetime

from pydantic import EmailStr

from tradebot.schemas import OutSchema


class UserOut(OutSchema):
    id: int
    email: EmailStr
    is_active: bool
    created_at: datetime
