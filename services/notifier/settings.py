"""The integrations document: one row, API keys encrypted at rest, masked on read; a PATCH changes only
what it carries, and a key sent back as its mask keeps the stored one."""

from __future__ import annotations

import asyncpg
import msgspec
from msgspec import UNSET

from libs.crypto import MASK, SecretBox, mask
from libs.db import transaction
from libs.errors import Invalid
from libs.schemas.notifier import (
    AlertTarget,
    AlertTargetInput,
    Integrations,
    IntegrationsPatch,
    MediaServer,
    MediaServerPatch,
)

from . import repository as repo


def _sealed(server: MediaServer, box: SecretBox) -> MediaServer:
    return msgspec.structs.replace(server, api_key=box.encrypt(server.api_key) if server.api_key else "")


def _opened(server: MediaServer, box: SecretBox) -> MediaServer:
    return msgspec.structs.replace(server, api_key=box.decrypt(server.api_key) if server.api_key else "")


def _sealed_target(target: AlertTarget, box: SecretBox) -> AlertTarget:
    token = box.encrypt(target.token) if target.token else ""
    return msgspec.structs.replace(target, url=box.encrypt(target.url), token=token)


def _opened_target(target: AlertTarget, box: SecretBox) -> AlertTarget:
    token = box.decrypt(target.token) if target.token else ""
    return msgspec.structs.replace(target, url=box.decrypt(target.url), token=token)


def mask_url(url: str) -> str:
    """Where a secret URL points, without the secret: its scheme and host, and the end of the rest."""
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}/{MASK}{path[-4:] if len(path) >= 16 else ''}"


def masked(settings: Integrations) -> Integrations:
    return msgspec.structs.replace(
        settings,
        jellyfin=msgspec.structs.replace(settings.jellyfin, api_key=mask(settings.jellyfin.api_key) or ""),
        emby=msgspec.structs.replace(settings.emby, api_key=mask(settings.emby.api_key) or ""),
        alert_targets=[
            msgspec.structs.replace(t, url=mask_url(t.url), token=mask(t.token) or "") for t in settings.alert_targets
        ],
    )


def _patched_targets(current: list[AlertTarget], given: list[AlertTargetInput]) -> list[AlertTarget]:
    """The new list; a URL or token sent back as its mask keeps the stored one of the target of that name —
    unless its type changed (a Discord webhook's URL is not to be posted to as if it were ntfy's)."""
    stored = {target.name: target for target in current}
    if len({target.name for target in given}) != len(given):
        raise Invalid("two alert targets have the same name", field="alertTargets")
    targets = []
    for n, target in enumerate(given):
        before = stored.get(target.name)
        changes = {}
        for secret in ("url", "token"):
            value = getattr(target, secret)
            if MASK not in value:
                continue
            if before is None or before.type != target.type:
                raise Invalid(f"enter the {secret} of {target.name!r} again", field=f"alertTargets.{n}.{secret}")
            changes[secret] = getattr(before, secret)
        targets.append(AlertTarget(**(msgspec.structs.asdict(target) | changes)))
    return targets


def _patched(server: MediaServer, patch: MediaServerPatch | msgspec.UnsetType, name: str) -> MediaServer:
    if patch is UNSET:
        return server
    changes = {}
    if patch.enabled is not UNSET:
        changes["enabled"] = patch.enabled
    if patch.url is not UNSET:
        changes["url"] = patch.url
    if patch.api_key is not UNSET and not patch.api_key.startswith(MASK):
        changes["api_key"] = patch.api_key
    elif server.api_key and "url" in changes and changes["url"] != server.url:
        # the stored key is for the server it was entered for: never sent to another address unasked
        raise Invalid(f"{name}'s address changed: enter its API key again", field=f"{name}.apiKey")
    updated = msgspec.structs.replace(server, **changes)
    if updated.enabled and not updated.url:
        raise Invalid(f"{name} is enabled: its url is needed", field=f"{name}.url")
    if updated.enabled and not updated.api_key:
        raise Invalid(f"{name} is enabled: its API key is needed", field=f"{name}.apiKey")
    return updated


class SettingsStore:
    def __init__(self, db: asyncpg.Pool, box: SecretBox) -> None:
        self.db = db
        self.box = box

    async def get(self) -> Integrations:
        stored = await repo.settings_document(self.db)
        if stored is None:
            return Integrations()
        settings = msgspec.convert(stored, Integrations)
        return msgspec.structs.replace(
            settings,
            jellyfin=_opened(settings.jellyfin, self.box),
            emby=_opened(settings.emby, self.box),
            alert_targets=[_opened_target(t, self.box) for t in settings.alert_targets],
        )

    async def patch(self, patch: IntegrationsPatch) -> Integrations:
        async with transaction(self.db) as connection:
            await repo.lock_settings(connection)
            current = await self.get()
            updated = msgspec.structs.replace(
                current,
                jellyfin=_patched(current.jellyfin, patch.jellyfin, "jellyfin"),
                emby=_patched(current.emby, patch.emby, "emby"),
                path_mappings=current.path_mappings if patch.path_mappings is UNSET else patch.path_mappings,
                coalesce_seconds=current.coalesce_seconds
                if patch.coalesce_seconds is UNSET
                else patch.coalesce_seconds,
                refresh_on=current.refresh_on if patch.refresh_on is UNSET else patch.refresh_on,
                alert_targets=current.alert_targets
                if patch.alert_targets is UNSET
                else _patched_targets(current.alert_targets, patch.alert_targets),
                alert_quiet_minutes=current.alert_quiet_minutes
                if patch.alert_quiet_minutes is UNSET
                else patch.alert_quiet_minutes,
            )
            sealed = msgspec.structs.replace(
                updated,
                jellyfin=_sealed(updated.jellyfin, self.box),
                emby=_sealed(updated.emby, self.box),
                alert_targets=[_sealed_target(t, self.box) for t in updated.alert_targets],
            )
            await repo.save_settings(connection, msgspec.to_builtins(sealed))
        return updated
