"""Which links are Prowlarr's: compared by scheme, host and port and a normalised path, never by prefix."""

import pytest

from libs.torrent_meta import under

BASE = "http://media.lan:8080/prowlarr"


@pytest.mark.parametrize(
    ("url", "ours"),
    [
        ("http://media.lan:8080/prowlarr/3/download?apikey=k&link=x", True),
        ("http://MEDIA.lan:8080/prowlarr/3/download", True),
        ("http://media.lan:8080/prowlarr/../jellyfin/System/Info", False),  # a prefix test would say yes
        ("http://media.lan:8080/prowlarr/%2e%2e/jellyfin", False),
        ("http://media.lan:8080/prowlarrx/3/download", False),
        ("http://media.lan:8080@169.254.169.254/prowlarr/3", False),
        ("https://media.lan:8080/prowlarr/3/download", False),
        ("http://media.lan:9090/prowlarr/3/download", False),
        ("file:///etc/passwd", False),
    ],
)
def test_only_prowlarrs_own_links(url, ours):
    assert under(url, BASE) is ours
