"""Accounts: creating users and checking passwords (argon2id through argon2-cffi)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApiToken, Role, User

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def create_user(session: Session, name: str, role: str, password: str | None = None,
                email: str | None = None) -> User:
    if role not in {r.value for r in Role}:
        raise AccountError(f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}")
    if not name or len(name) > 100 or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise AccountError("a user name has 1–100 letters, digits, '.', '-' or '_'")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise AccountError(f"a user named {name!r} already exists")
    if password is not None:
        check_password_strength(password)
    user = User(name=name, role=role, email=email,
                password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    return user


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, label: str | None = None) -> str:
    """A new API token for ``user``; the clear token is returned once and only its hash kept."""
    token = "vl_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_digest(token), label=label))
    session.flush()
    return token
