"""A pool user's own account, from the configure page: sign in with email and password (checked against the
bcrypt hash the admin's password was stored as), get the uuid for the install link, see and forget devices,
and rotate the uuid (every link holding the old one stops working). No session: each call carries the
credentials. Wrong ones are one sentence whichever part was wrong; after `MAX_FAILURES` in a row for an email
the account is refused for `LOCK_SECONDS` (bcrypt is slow on purpose; a guesser must not have it for free).
"""

from __future__ import annotations

import asyncio

import asyncpg
import bcrypt

from libs.cache import BoundedCache
from libs.errors import Forbidden, Limited

from .admin import Admin, hash_password
from .invalidation import Invalidator
from .repository import users

MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60


def _matches(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:  # a hash that is not bcrypt's, or a password past its 72 bytes
        return False


class Accounts:
    def __init__(self, db: asyncpg.Pool, admin: Admin, invalidator: Invalidator, rounds: int) -> None:
        self.db = db
        self.admin = admin
        self.invalidator = invalidator
        self.rounds = rounds
        self._failures: BoundedCache[str, int] = BoundedCache(10_000, LOCK_SECONDS)
        # checked against when no user has the email, hashed as the users' are: a wrong email takes as long
        # as a wrong password, and says nothing of which emails exist
        self._nobody: str | None = None

    async def sign_in(self, email: str, password: str):
        """The user's uuid, once the password is theirs."""
        key = email.lower()
        if (self._failures.get(key) or 0) >= MAX_FAILURES:
            raise Limited(f"too many wrong passwords: try again in {LOCK_SECONDS // 60} minutes")
        found = await users.credentials(self.db, email)
        if found is None and self._nobody is None:
            self._nobody = await asyncio.to_thread(hash_password, "nobody", self.rounds)
        ok = await asyncio.to_thread(_matches, password, found.password_hash if found else self._nobody)
        if found is None or not ok:
            self._failures.set(key, (self._failures.get(key) or 0) + 1)
            raise Forbidden("the email or the password is wrong", field="password")
        self._failures.pop(key, None)
        return found.uuid

    async def view(self, email: str, password: str):
        user_id = await self.sign_in(email, password)
        return await self.admin.account(user_id)

    async def forget_device(self, email: str, password: str, device_id: str):
        user_id = await self.sign_in(email, password)
        await self.admin.forget_devices(user_id, device_id)
        return await self.admin.account(user_id)

    async def rotate(self, email: str, password: str):
        user_id = await self.sign_in(email, password)
        async with self.db.acquire() as conn, conn.transaction():
            new = await users.rotate(conn, user_id)
        await self.invalidator.users([user_id])  # its cached answers: the old uuid is nobody now
        return await self.admin.account(new)
