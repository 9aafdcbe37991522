"""What a service's decisions refuse, said in the domain's words: the decisions raise these, never a status.
One table at the end (`STATUS_OF`) says what each kind is as a status code — the HTTP edge answers with it
(`libs.web.errors`), the NATS edge puts it in its error header (`libs.bus`); a CLI prints the sentence.

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


# what each kind of refusal is at the edges (HTTP status; the same code in a NATS error reply): the one table
STATUS_OF: dict[type[DomainError], int] = {
    BadInput: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    Limited: 429,
    UpstreamFailed: 502,
    Unavailable: 503,
}


def status_of(error: DomainError) -> int:
    return next((status for kind, status in STATUS_OF.items() if isinstance(error, kind)), 400)
