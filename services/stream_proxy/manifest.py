"""The add-on's manifest: one for the unconfigured add-on (Stremio shows Configure), one per configuration."""

from __future__ import annotations

from libs.schemas.stremio import AddonConfig, BehaviorHints, Manifest, ManifestResource

ADDON_ID = "com.chillproxy.torz"
VERSION = "0.1.0"


def manifest(config: AddonConfig | None) -> Manifest:
    mode = ""
    if config is not None:
        store = config.stores[0]
        mode = " | TB pool" if store.auth else " | TB"
    return Manifest(
        id=ADDON_ID,
        version=VERSION,
        name=f"Chillproxy{mode}",
        description="Ranked, cache-checked TorBox streams from your Prowlarr indexers.",
        resources=[ManifestResource(name="stream", types=["movie", "series"], id_prefixes=["tt"])],
        types=["movie", "series"],
        catalogs=[],
        id_prefixes=["tt"],
        behavior_hints=BehaviorHints(configurable=True, configuration_required=config is None),
    )
