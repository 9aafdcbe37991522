"""What a bus call can fail with, apart from the handler's own answer."""

from __future__ import annotations


class BusError(Exception):
    """The responder answered with an error (`code` is an HTTP-like status, `error` a short name)."""

    def __init__(self, code: int, error: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.error = error
        self.message = message


class BusUnavailable(Exception):
    """No answer: nobody listens on the subject, the request timed out, or NATS is not connected."""


class Retry(Exception):
    """Raised by an event handler: put the batch back and try again after `delay` seconds."""

    def __init__(self, delay: float = 5.0, reason: str = "") -> None:
        super().__init__(reason or f"retry in {delay}s")
        self.delay = delay
