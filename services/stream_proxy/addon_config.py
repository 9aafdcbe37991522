"""The add-on configuration in the URL: base64url JSON without padding (standard base64 accepted too).

Every way it can be wrong has a sentence that says so; nothing here raises anything else.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache

import msgspec

from libs.cache import BoundedCache
from libs.crypto import SecretBox, SecretError
from libs.schemas.stremio import AddonConfig

_decoder = msgspec.json.Decoder(AddonConfig)
_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
MAX_LENGTH = 4096


class ConfigError(ValueError):
    """The configuration cannot be used; `str()` is a sentence for the user."""


def encode_config(config: AddonConfig) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(config)).decode().rstrip("=")


def decode_config(raw: str) -> AddonConfig:
    """The configuration in an add-on URL (the same few come again and again: remembered once decoded)."""
    if len(raw) > MAX_LENGTH:
        raise ConfigError("the configuration in the add-on URL is empty or too long; configure the add-on again")
    return _decode(raw)


@lru_cache(maxsize=4096)
def _decode(raw: str) -> AddonConfig:
    if not raw or len(raw) > MAX_LENGTH:
        raise ConfigError("the configuration in the add-on URL is empty or too long; configure the add-on again")
    padded = raw + "=" * (-len(raw) % 4)
    try:
        data = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("the configuration in the add-on URL is not base64; configure the add-on again") from None
    try:
        config = _decoder.decode(data)
    except msgspec.ValidationError as error:
        message = str(error)
        where = _PATH.search(message)
        detail = _PATH.sub("", message)
        place = f" (at {where.group(1)})" if where and where.group(1) else ""
        raise ConfigError(f"the add-on configuration is not valid: {detail}{place}") from None
    except msgspec.DecodeError:
        raise ConfigError("the configuration in the add-on URL is not JSON; configure the add-on again") from None
    store = config.stores[0]
    if store.t is None and store.auth is None:
        raise ConfigError("the TorBox store needs a token (t) or a Chillproxy account (auth)")
    return config


class ConfigSealer:
    """The configuration as it appears in the URLs we hand out (play links, configure links): a config that
    carries a TorBox token is sealed with SECRET_KEY, so players, their logs and their history never hold
    the token, even in base64. A pool-only config holds no secret and stays readable."""

    PREFIX = "s."

    def __init__(self, box: SecretBox) -> None:
        self.box = box
        self._sealed: BoundedCache[str, str] = BoundedCache(10_000)  # raw config → its sealed form

    def reference(self, raw: str, config: AddonConfig) -> str:
        if config.stores[0].t is None:
            return raw
        return self._sealed.setdefault(raw, lambda: self.PREFIX + self.box.encrypt(raw).rstrip("="))

    def open(self, segment: str) -> str:
        """The raw configuration behind a URL segment (sealed or not); `ConfigError` when it cannot be."""
        if not segment.startswith(self.PREFIX):
            return segment
        token = segment[len(self.PREFIX) :]
        try:
            return self.box.decrypt(token + "=" * (-len(token) % 4))
        except (SecretError, ValueError):
            raise ConfigError(
                "this link was made by another Chillproxy (or before its key changed); search again"
            ) from None
