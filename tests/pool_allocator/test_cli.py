"""The command-line admin: add-key, list-keys, add-user, show-user; never a raw key in its output."""

import json
import subprocess
import sys

import pytest

from tests.conftest import make_settings

KEY = "tb_cli_0123456789abcdef0123456789"


def run(settings_env: dict, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.pool_allocator.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=settings_env,
        timeout=60,
    )


@pytest.fixture
def env(tmp_path, fresh_dsn):
    import os

    make_settings(tmp_path)  # generates the secrets file the CLI will read
    return {
        **os.environ,
        "CHILLPROXY_DATA": str(tmp_path / "var"),
        "DATABASE_URL": fresh_dsn,
        "CHILLPROXY_ENV_FILE": str(tmp_path / "none"),
        "POOL_BCRYPT_ROUNDS": "4",
    }


def test_keys_and_users_from_the_command_line(env):
    added = run(env, "add-key", "-", "--priority", "5", "--max-user-slots", "10", "--label", "main", stdin=KEY + "\n")
    assert added.returncode == 0, added.stderr
    key = json.loads(added.stdout)
    assert key["priority"] == 5 and key["maxUserSlots"] == 10 and key["label"] == "main"
    assert KEY not in added.stdout and key["apiKey"].endswith(KEY[-4:])

    duplicate = run(env, "add-key", KEY)
    assert duplicate.returncode == 1 and "conflict" in duplicate.stderr and KEY not in duplicate.stderr

    listed = run(env, "list-keys")
    assert [k["id"] for k in json.loads(listed.stdout)] == [key["id"]] and KEY not in listed.stdout

    user = run(env, "add-user", "ann@example.com", "--trial-days", "7")
    assert user.returncode == 0, user.stderr
    created = json.loads(user.stdout)
    assert created["subscription"]["trial"] and "password (shown once)" in user.stderr

    shown = run(env, "show-user", created["uuid"])
    assert json.loads(shown.stdout)["email"] == "ann@example.com"


def test_bad_input_is_refused_with_a_reason(env):
    bad_key = run(env, "add-key", "short")
    assert bad_key.returncode == 2 and "invalid input" in bad_key.stderr
    bad_uuid = run(env, "show-user", "nope")
    assert bad_uuid.returncode == 1 and "must be a UUID" in bad_uuid.stderr
    unknown = run(env, "show-user", "00000000-0000-0000-0000-000000000000")
    assert unknown.returncode == 1 and "no such user" in unknown.stderr
