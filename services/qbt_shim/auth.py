"""qBittorrent's login as Sonarr, Radarr, Homepage and Homarr expect it: `auth/login` answers `Ok.` with a
`SID` cookie, or `Fails.`; too many failures from one address ban it for a while; every other call without
a session is a 403 (never a 401: Sonarr reads 401 as "not qBittorrent"). The newest Sonarr sends Basic
credentials on every request, or a Bearer API key (here: the qBittorrent password), and both are accepted —
and counted like logins: a wrong one is a failure towards the ban, and a banned address gets in by none.
A session id is signed (HMAC with a key made from SECRET_KEY and the password), so every replica of the
shim takes the one another replica gave, for `session_seconds` after the login; a replica that has seen a
session used keeps it alive from the last use, as qBittorrent does. A logout ends the session at once on the
replica that got it (the others take it until it runs out: Sonarr never logs out); a new password ends them all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from enum import Enum

from libs.cache import BoundedCache

MAX_SESSIONS = 10_000
MAX_ADDRESSES = 10_000  # addresses with failures remembered: a scan from many addresses cannot fill memory


class Access(Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    BANNED = "banned"


class Gate:
    def __init__(
        self,
        username: str,
        password: str,
        ban_after: int = 5,
        ban_seconds: float = 3600.0,
        session_seconds: float = 3600.0,
        signing_secret: str = "",
    ) -> None:
        self.username = username
        self.password = password
        self.ban_after = ban_after
        self.ban_seconds = ban_seconds
        self.session_seconds = session_seconds
        # a session from a replica's point of view: True while in use, False once logged out here
        self._sessions: BoundedCache[str, bool] = BoundedCache(MAX_SESSIONS, session_seconds)
        self._key = hashlib.sha256(f"qbt-session\0{signing_secret}\0{password}".encode()).digest()
        # address → (failures so far, banned until); forgotten a ban's length after the last failure
        self._failures: BoundedCache[str, tuple[int, float]] = BoundedCache(MAX_ADDRESSES, ban_seconds)

    def banned(self, address: str, now: float | None = None) -> bool:
        _, until = self._failures.get(address) or (0, 0.0)
        return until > (time.monotonic() if now is None else now)

    def login(self, address: str, username: str, password: str) -> str | None:
        """A new session id, or None (the failure counted; the address banned after too many)."""
        if not self._matches(username, password):
            self._failed(address)
            return None
        self._failures.pop(address)
        body = f"{int(time.time()):x}.{secrets.token_urlsafe(18)}"
        sid = f"{body}.{self._mac(body)}"
        self._sessions.set(sid, True)
        return sid

    def logout(self, sid: str | None) -> None:
        if sid:
            self._sessions.set(sid, False)

    def _live(self, sid: str) -> bool:
        """Seen in use here lately, or signed by a replica within the session's length."""
        known = self._sessions.get(sid)
        if known is not None:
            return known
        body, _, mac = sid.rpartition(".")
        if not body or not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            return False
        try:
            issued = int(body.partition(".")[0], 16)
        except ValueError:
            return False
        return 0 <= time.time() - issued < self.session_seconds

    def _mac(self, body: str) -> str:
        return base64.urlsafe_b64encode(hmac.digest(self._key, body.encode(), "sha256")[:18]).decode()

    def check(self, address: str, sid: str | None, authorization: str | None) -> Access:
        """A live session, or credentials in the header (each wrong one counted as a failed login)."""
        if sid and self._live(sid):
            self._sessions.set(sid, True)  # qBittorrent refreshes a session on use
            return Access.ALLOWED
        if not authorization:
            return Access.REFUSED
        if self.banned(address):
            return Access.BANNED
        if self._header_matches(authorization):
            self._failures.pop(address)
            return Access.ALLOWED
        self._failed(address)
        return Access.REFUSED

    def _failed(self, address: str) -> None:
        count, _ = self._failures.get(address) or (0, 0.0)
        count += 1
        banned = count >= self.ban_after
        self._failures.set(address, (0, time.monotonic() + self.ban_seconds) if banned else (count, 0.0))

    def _header_matches(self, authorization: str) -> bool:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return hmac.compare_digest(credentials.strip().encode(), self.password.encode())
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            username, _, password = decoded.partition(":")
            return self._matches(username, password)
        return False

    def _matches(self, username: str, password: str) -> bool:
        # both compared whatever the first says: the time taken tells nothing
        user_ok = hmac.compare_digest(username.encode(), self.username.encode())
        password_ok = hmac.compare_digest(password.encode(), self.password.encode())
        return user_ok and password_ok
