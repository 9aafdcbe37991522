"""The integrations document: one row, API keys encrypted at rest, masked on read; a PATCH changes only
what it carries, and a key sent back as its mask keeps the stored one."""

from __future__ import annotations

import asyncpg
import msgspec
from msgspec import UNSET

from libs.crypto import MASK, SecretBox, mask
from libs.db import transaction
from libs.errors import Invalid
from libs.schemas.notifier import Integrations, IntegrationsPatch, MediaServer, MediaServerPatch

from . import repository as repo


def _sealed(server: MediaServer, box: SecretBox) -> MediaServer:
    return msgspec.structs.replace(server, api_key=box.encrypt(server.api_key) if server.api_key else "")


def _opened(server: MediaServer, box: SecretBox) -> MediaServer:
    return msgspec.structs.replace(server, api_key=box.decrypt(server.api_key) if server.api_key else "")


def masked(settings: Integrations) -> Integrations:
    return msgspec.structs.replace(
        settings,
        jellyfin=msgspec.structs.replace(settings.jellyfin, api_key=mask(settings.jellyfin.api_key) or ""),
        emby=msgspec.structs.replace(settings.emby, api_key=mask(settings.emby.api_key) or ""),
    )


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
            settings, jellyfin=_opened(settings.jellyfin, self.box), emby=_opened(settings.emby, self.box)
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
            )
            sealed = msgspec.structs.replace(
                updated, jellyfin=_sealed(updated.jellyfin, self.box), emby=_sealed(updated.emby, self.box)
            )
            await repo.save_settings(connection, msgspec.to_builtins(sealed))
        return updated
