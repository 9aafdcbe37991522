import json

import pytest

from libs.config import GENERATED_SECRETS, load_settings, read_dotenv


def test_dotenv_is_read_and_the_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\n\nexport CHILLPROXY_PORT=9090\nPROWLARR_URL='http://prowlarr:9696'\n"
        'CINEMETA_URL="http://cinemeta"\nTORBOX_API_URL=http://from-file\n'
    )
    env = {"CHILLPROXY_DATA": str(tmp_path / "var"), "TORBOX_API_URL": "http://from-env"}
    settings = load_settings(env, dotenv=dotenv)
    assert settings.port == 9090
    assert settings.prowlarr_url == "http://prowlarr:9696"
    assert settings.cinemeta_url == "http://cinemeta"
    assert settings.torbox_api_url == "http://from-env"


def test_defaults_follow_the_spec(tmp_path):
    settings = load_settings({"CHILLPROXY_DATA": str(tmp_path / "var")}, dotenv=tmp_path / "none")
    assert settings.port == 8080
    assert settings.torbox_api_url == "https://api.torbox.app"
    assert settings.cinemeta_url == "https://v3-cinemeta.strem.io"
    assert settings.qbt_username == "admin"
    assert settings.download_root == (tmp_path / "var" / "downloads").resolve()
    assert settings.database_url is None and settings.nats_url is None and settings.otel_endpoint is None


def test_missing_secrets_are_generated_once_and_reused(tmp_path):
    env = {"CHILLPROXY_DATA": str(tmp_path / "var")}
    first = load_settings(env, dotenv=tmp_path / "none")
    second = load_settings(env, dotenv=tmp_path / "none")
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert first.admin_token == second.admin_token
    assert len({first.secret_key, first.admin_token, first.internal_api_key, first.qbt_password}) == 4
    stored = tmp_path / "var" / "secrets.json"
    assert set(json.loads(stored.read_text())) == set(GENERATED_SECRETS)
    assert stored.stat().st_mode & 0o077 == 0


def test_a_secret_from_the_environment_is_used_and_not_written(tmp_path):
    env = {"CHILLPROXY_DATA": str(tmp_path / "var"), "ADMIN_TOKEN": "from-the-environment"}
    settings = load_settings(env, dotenv=tmp_path / "none")
    assert settings.admin_token == "from-the-environment"
    assert "from-the-environment" not in (tmp_path / "var" / "secrets.json").read_text()


def test_a_bad_number_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="CHILLPROXY_PORT must be an integer"):
        load_settings({"CHILLPROXY_DATA": str(tmp_path), "CHILLPROXY_PORT": "eighty"}, dotenv=tmp_path / "x")


def test_the_public_port_may_carry_an_address_as_compose_takes_it(tmp_path):
    """deploy/.env is read by `make run` and passed to every container: `127.0.0.1:8080` must not stop them."""
    for raw, port in (("127.0.0.1:9191", 9191), ("9192", 9192), ("", 8080), ("[::1]:9193", 9193)):
        settings = load_settings({"CHILLPROXY_DATA": str(tmp_path), "CHILLPROXY_PORT": raw}, dotenv=tmp_path / "x")
        assert settings.port == port, raw
    with pytest.raises(SystemExit, match="CHILLPROXY_PORT must be an integer"):
        load_settings({"CHILLPROXY_DATA": str(tmp_path), "CHILLPROXY_PORT": "127.0.0.1:x"}, dotenv=tmp_path / "x")


def test_read_dotenv_of_a_missing_file_is_empty(tmp_path):
    assert read_dotenv(tmp_path / "missing") == {}


def test_each_services_settings_come_from_their_variables():
    from libs.config import service_settings
    from services.indexer_stats.config import StatsConfig
    from services.notifier.config import NotifierConfig
    from services.pool_allocator.config import PoolConfig
    from services.qbt_shim.config import ShimConfig
    from services.stream_proxy.config import StreamConfig

    env = {
        "POOL_DEVICE_LIMIT": "7",
        "POOL_DEGRADED_FAILURE_RATE": "0.5",
        "QBT_POLL_ACTIVE_SECONDS": "1.5",
        "QBT_BAN_SECONDS": "",  # empty: the default, as an unset one
        "INDEXER_PROBE_AFTER_SECONDS": "123",
        "NOTIFIER_POLL_SECONDS": "5",
        "STREAM_INDEXER_TIMEOUT_MS": "900",
        "CHILLPROXY_PUBLIC_URL": "https://media.example.com/",
        "chunk_bytes": "1",  # a field with no variable of its own is never read from the environment
    }
    pool, shim = service_settings(PoolConfig, env), service_settings(ShimConfig, env)
    assert (pool.device_limit, pool.degraded_failure_rate, pool.bcrypt_rounds) == (7, 0.5, 12)
    assert (shim.poll_active_seconds, shim.ban_seconds, shim.chunk_bytes) == (1.5, 3600.0, 1 << 20)
    assert service_settings(StatsConfig, env).probe_after_seconds == 123
    assert service_settings(NotifierConfig, env).poll_seconds == 5
    stream = service_settings(StreamConfig, env)
    assert (stream.indexer_timeout_ms, stream.public_url) == (900, "https://media.example.com")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("POOL_DEVICE_LIMIT", "three"), ("POOL_CACHE_TTL_SECONDS", "1m"), ("POOL_BCRYPT_ROUNDS", "1.5")],
)
def test_a_bad_service_setting_is_one_error_naming_it(variable, value):
    from libs.config import service_settings
    from services.pool_allocator.config import PoolConfig

    with pytest.raises(SystemExit) as stopped:
        service_settings(PoolConfig, {variable: value})
    assert str(stopped.value).startswith(f"configuration error: {variable}: ") and repr(value) in str(stopped.value)


def test_trusted_proxies_are_read_once_for_every_service(tmp_path):
    settings = load_settings({"CHILLPROXY_DATA": str(tmp_path), "TRUSTED_PROXIES": "10.1.0.0/16, ::1"}, tmp_path / "x")
    assert [str(n) for n in settings.trusted_proxies] == ["10.1.0.0/16", "::1/128"]
    with pytest.raises(SystemExit, match="TRUSTED_PROXIES: 'nope'"):
        load_settings({"CHILLPROXY_DATA": str(tmp_path), "TRUSTED_PROXIES": "nope"}, tmp_path / "x")
