"""qBittorrent's login as Sonarr, Radarr, Homepage and Homarr expect it: `auth/login` answers `Ok.` with a
`SID` cookie, or `Fails.`; too many failures from one address ban it for a while; every other call without
a session is a 403 (never a 401: Sonarr reads 401 as "not qBittorrent"). The newest Sonarr sends Basic
credentials on every request, or a Bearer API key (here: the qBittorrent password), and both are accepted.
Sessions live in memory: after a restart the clients log in again on their first 403, as with qBittorrent.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import time
from dataclasses import dataclass, field


@dataclass
class Gate:
    username: str
    password: str
    ban_after: int = 5
    ban_seconds: float = 3600.0
    session_seconds: float = 3600.0
    _sessions: dict[str, float] = field(default_factory=dict)  # SID → expiry
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)  # address → (count, banned until)

    def banned(self, address: str, now: float | None = None) -> bool:
        _, until = self._failures.get(address, (0, 0.0))
        return until > (time.monotonic() if now is None else now)

    def login(self, address: str, username: str, password: str) -> str | None:
        """A new session id, or None (the failure counted; the address banned after too many)."""
        now = time.monotonic()
        if self._matches(username, password):
            self._failures.pop(address, None)
            if len(self._sessions) > 10_000:
                self._sessions = {sid: until for sid, until in self._sessions.items() if until > now}
            sid = secrets.token_urlsafe(24)
            self._sessions[sid] = now + self.session_seconds
            return sid
        count, _ = self._failures.get(address, (0, 0.0))
        count += 1
        self._failures[address] = (0, now + self.ban_seconds) if count >= self.ban_after else (count, 0.0)
        return None

    def logout(self, sid: str | None) -> None:
        if sid:
            self._sessions.pop(sid, None)

    def allows(self, sid: str | None, authorization: str | None) -> bool:
        if sid:
            until = self._sessions.get(sid)
            if until is not None and until > time.monotonic():
                self._sessions[sid] = time.monotonic() + self.session_seconds  # qBittorrent refreshes on use
                return True
        if not authorization:
            return False
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
