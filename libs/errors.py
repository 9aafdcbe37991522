"""What a service's decisions refuse, said in the domain's words: no status codes here. The HTTP edge turns
each kind into its answer with one table (`libs.web.errors.STATUS_OF`); a CLI or a NATS handler says the
same sentence its own way.

    raise NotFound("no such pool key")
    raise Conflict("this TorBox key is already in the pool", field="apiKey")
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the caller should read: a sentence, the input field it is about, a short error name."""

    error: str = "refused"

    def __init__(self, message: str, *, field: str | None = None, error: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if error is not None:
            self.error = error


class BadInput(DomainError):
    """The request cannot be read as asked (an id that is not one, a parameter of the wrong form)."""

    error = "bad_request"


class Invalid(DomainError):
    """Read, but not acceptable: a value out of range, a missing companion field."""

    error = "unprocessable"


class NotFound(DomainError):
    error = "not_found"


class Conflict(DomainError):
    """It clashes with what exists (a duplicate, a state that does not allow it)."""

    error = "conflict"


class Forbidden(DomainError):
    error = "forbidden"


class Limited(DomainError):
    """Not now: a limit (of a key, an account, a device) is reached; the message says when to try again."""

    error = "too_many_requests"


class UpstreamFailed(DomainError):
    """An upstream we depend on (TorBox, Prowlarr) answered wrong: not the caller's fault, nor ours."""

    error = "bad_gateway"


class Unavailable(DomainError):
    """Something it needs is away (an upstream, a database): try again later."""

    error = "unavailable"
