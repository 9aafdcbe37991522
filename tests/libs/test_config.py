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
