import msgspec
import pytest

import libs.schemas
from libs.schemas import (
    BROADCAST_SUBJECTS,
    EVENT_SUBJECTS,
    POOL_KEY_GET,
    REQUEST_SUBJECTS,
    STREAMS,
    PoolKeyReply,
    PoolKeyRequest,
    UsageEvent,
)


def test_exported_members_are_deliberate():
    import types

    public = {
        name
        for name, value in vars(libs.schemas).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert sorted(libs.schemas.__all__) == sorted(public)


def test_every_subject_is_named_once():
    names = [s.name for s in (*REQUEST_SUBJECTS, *EVENT_SUBJECTS, *BROADCAST_SUBJECTS)]
    assert len(names) == len(set(names))
    spec_subjects = {
        "pool.key.get",
        "pool.stream.start",
        "pool.stream.end",
        "pool.usage",
        "pool.key.failure",
        "indexer.search",
        "indexer.ranking.get",
        "torrent.status",
        "download.status",
        "pool.cache.invalidate",
        "qbt.work",  # qbt-shim's replicas telling each other of files to download (issue 19)
        "alert.raised",  # something broke (or mended), for the notifier to tell (issue 17)
    }
    assert set(names) == spec_subjects


def test_each_event_subject_has_its_stream():
    for subject in EVENT_SUBJECTS:
        assert subject.name in STREAMS[subject.stream].subjects


def test_get_key_bodies_use_the_http_contract_names():
    body = msgspec.json.decode(
        b'{"userId": "u1", "deviceId": "d1", "action": "stream", "hash": "abc"}', type=PoolKeyRequest
    )
    assert body == PoolKeyRequest(user_id="u1", device_id="d1", action="stream", hash="abc")
    reply = PoolKeyReply(allowed=True, pool_key="k", pool_key_id="id", device_count=2, message="ok")
    assert msgspec.json.decode(msgspec.json.encode(reply)) == {
        "allowed": True,
        "poolKey": "k",
        "poolKeyId": "id",
        "deviceCount": 2,
        "message": "ok",
    }


def test_events_get_distinct_ids_and_a_timestamp():
    a = UsageEvent(user_id="u", pool_key_id="k", action="play")
    b = UsageEvent(user_id="u", pool_key_id="k", action="play")
    assert a.id != b.id
    decoded = msgspec.json.decode(msgspec.json.encode(a), type=UsageEvent)
    assert decoded == a


def test_a_wrong_type_names_the_field():
    with pytest.raises(msgspec.ValidationError, match=r"\$\.deviceId"):
        POOL_KEY_GET.request_decoder.decode(b'{"userId": "u", "deviceId": 5, "action": "x"}')


def test_unknown_fields_are_accepted_between_services():
    body = POOL_KEY_GET.request_decoder.decode(b'{"userId": "u", "deviceId": "d", "action": "x", "new": 1}')
    assert body.user_id == "u"
