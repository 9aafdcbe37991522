"""The add-on configuration in the URL and the video ids: every malformed input is a sentence, not a crash."""

import base64
import json
import uuid

import pytest

from libs.schemas.stremio import AddonConfig, StoreConfig
from services.stream_proxy.addon_config import ConfigError, decode_config, encode_config
from services.stream_proxy.media_id import MediaId, parse_media_id

USER = str(uuid.uuid4())


def b64(value, urlsafe=True, padding=False) -> str:
    raw = json.dumps(value).encode()
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    return text if padding else text.rstrip("=")


def test_round_trip_without_padding():
    config = AddonConfig(stores=[StoreConfig(c="tb", t="tb_token_12345678")])
    encoded = encode_config(config)
    assert "=" not in encoded and decode_config(encoded) == config


@pytest.mark.parametrize("urlsafe", [True, False])
@pytest.mark.parametrize("padding", [True, False])
def test_both_alphabets_with_or_without_padding(urlsafe, padding):
    config = decode_config(b64({"stores": [{"c": "tb", "auth": USER}]}, urlsafe, padding))
    assert config.stores[0].auth == USER and config.stores[0].t is None


def test_token_and_pool_together_and_filters():
    config = decode_config(
        b64(
            {
                "stores": [{"c": "tb", "t": "tb_token_12345678", "auth": USER}],
                "filters": {"resolutions": ["1080p", "720p"], "maxSizeGb": 20, "languages": ["en"]},
            }
        )
    )
    assert config.filters.resolutions == ["1080p", "720p"] and config.filters.max_size_gb == 20


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "empty or too long"),
        ("x" * 5000, "empty or too long"),
        ("%%%", "not base64"),
        (b64("not an object"), "not valid"),
        (base64.urlsafe_b64encode(b"{oops").decode(), "not JSON"),
        (b64({"stores": [{"c": "rd", "t": "tb_token_12345678"}]}), "not valid"),
        (b64({"stores": [{"c": "tb", "auth": "not-a-uuid"}]}), "stores[0].auth"),
        (b64({"stores": [{"c": "tb"}]}), "needs a token"),
        (b64({"stores": []}), "not valid"),
        (b64({"stores": [{"c": "tb", "t": "tb_token_12345678"}], "extra": 1}), "not valid"),
        (b64({"stores": [{"c": "tb", "t": "tb_token_12345678"}], "filters": {"resolutions": ["8k"]}}), "not valid"),
    ],
)
def test_bad_configs_are_explained(raw, says):
    with pytest.raises(ConfigError) as caught:
        decode_config(raw)
    assert says in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("movie", "tt0133093", MediaId("tt0133093")),
        ("series", "tt0944947:1:2", MediaId("tt0944947", 1, 2)),
        ("series", "tt0944947", None),  # an episode needs season and episode
        ("movie", "tt0944947:1:2", None),
        ("movie", "kitsu:123", None),
        ("series", "tt0944947:1:x", None),
        ("channel", "tt0133093", None),
        ("movie", "tt0133093.json", None),
        ("movie", "tt\u0660\u0661\u0663\u0663\u0660\u0669\u0663", None),  # Arabic-Indic digits: not The Matrix
        ("series", "tt0944947:\u0661:2", None),
    ],
)
def test_media_ids(kind, raw, expected):
    assert parse_media_id(kind, raw) == expected
