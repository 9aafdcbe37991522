"""qbt-shim: a qBittorrent WebAPI backed by TorBox and a local downloader."""
