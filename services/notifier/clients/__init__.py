"""One adapter per download client, all answering the same two questions: are you there (`test`), and
what are you downloading (`items`). `adapter_for` picks the adapter of a configured client."""

from .base import ClientConfig, ClientError, ClientItem, DownloadClient, Grabbed
from .nzbget import NzbGet
from .qbittorrent import QBittorrent
from .sabnzbd import Sabnzbd
from .transmission import Transmission

ADAPTERS: dict[str, type[DownloadClient]] = {
    "qbittorrent": QBittorrent,
    "transmission": Transmission,
    "sabnzbd": Sabnzbd,
    "nzbget": NzbGet,
}


def adapter_for(config: ClientConfig, http) -> DownloadClient:
    return ADAPTERS[config.type](config, http)


__all__ = ["ADAPTERS", "ClientConfig", "ClientError", "ClientItem", "DownloadClient", "Grabbed", "adapter_for"]
