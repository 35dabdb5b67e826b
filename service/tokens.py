"""API tokens: random, shown once, stored as their sha256 only."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Token, User, utcnow

PREFIX = "cpb_"


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user_name: str, admin: bool = False, expires_days: float | None = None) -> str:
    """A new token for `user_name` (created when new; `admin` grants the admin flag, never revokes it)."""
    user = session.scalar(select(User).where(User.name == user_name))
    if user is None:
        user = User(name=user_name, is_admin=admin)
        session.add(user)
        session.flush()
    elif admin:
        user.is_admin = True
    token = PREFIX + secrets.token_urlsafe(32)
    expires: datetime | None = None if expires_days is None else utcnow() + timedelta(days=expires_days)
    session.add(Token(user_id=user.id, token_sha256=token_sha256(token), expires_at=expires))
    return token


def user_for_token(session: Session, token: str) -> tuple[User | None, str | None]:
    """(user, None), or (None, why the token is refused)."""
    row = session.scalar(select(Token).where(Token.token_sha256 == token_sha256(token)))
    if row is None:
        return None, "invalid token"
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None, f"token expired on {row.expires_at:%Y-%m-%d %H:%M} UTC; create a new one"
    return row.user, None
