"""Settings from the environment and an optional `.env` (the environment wins); every name is documented in
deploy/.env.example.

Secrets that are missing (the key that encrypts stored secrets, the admin token, the internal API key, the
qBittorrent password) are generated once into `$CHILLPROXY_DATA/secrets.json` and reused, so a fresh
`make run` needs no configuration and a second one keeps its data readable.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import msgspec

GENERATED_SECRETS = ("SECRET_KEY", "ADMIN_TOKEN", "INTERNAL_API_KEY", "QBT_PASSWORD")

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Traefik reaches the services from loopback (make run) or a private container network (compose)
DEFAULT_TRUSTED = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    port: int
    replicas: int  # processes of each service `make run` starts (CHILLPROXY_REPLICAS)
    nats_replicas: int  # copies of each JetStream stream and KV bucket: 3 on a 3-node cluster (NATS_REPLICAS)
    data_dir: Path
    database_url: str | None
    nats_url: str | None
    secret_key: str
    admin_token: str
    internal_api_key: str
    torbox_api_url: str
    torbox_requests_per_minute: int
    prowlarr_url: str | None
    prowlarr_api_key: str | None
    cinemeta_url: str
    qbt_username: str
    qbt_password: str
    qbt_torbox_token: str | None
    qbt_pool_user: str | None
    download_root: Path
    otel_endpoint: str | None
    log_level: str
    db_pool_min: int
    db_pool_max: int
    max_body_bytes: int
    service_host: str
    service_port: int | None
    trusted_proxies: tuple[Any, ...] = ()  # IpNetworks whose X-Forwarded-* are believed (TRUSTED_PROXIES)
    env: dict[str, str] = {}  # the merged environment, for each service's own settings


S = TypeVar("S", bound=msgspec.Struct)
_AT = re.compile(r"^(?P<problem>.*?)(?: - at `\$\.(?P<name>[A-Za-z0-9_]+)`)?$")


def service_settings(shape: type[S], env: Mapping[str, str]) -> S:
    """A service's own settings: the fields of `shape` that name a variable (`msgspec.field(name=…)`) read
    from the environment, an empty value meaning the default; decoded by msgspec, so a bad value is one error
    that names the variable. Fields without a variable keep their defaults (tests and code set them)."""
    names = {f.encode_name for f in msgspec.structs.fields(shape) if f.encode_name != f.name}
    given = {name: value for name, value in env.items() if name in names and value != ""}
    try:
        return msgspec.convert(given, shape, strict=False)
    except msgspec.ValidationError as error:
        found = _AT.match(str(error))
        name = found.group("name") if found else None
        if name is None:
            raise SystemExit(f"configuration error: {error}") from None
        problem = found.group("problem").rstrip(".")
        raise SystemExit(f"configuration error: {name}: {problem} (got {given.get(name)!r})") from None


def parse_networks(raw: str) -> tuple[IpNetwork, ...]:
    """`a.b.c.d/n,…`; a bad entry is a start-up error that names it."""
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SystemExit(f"TRUSTED_PROXIES: {part!r} is not an address or network") from None
    return tuple(networks)


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; `#` comments, blank lines, `export ` and one level of quotes are understood."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def ensure_generated_secrets(data_dir: Path, present: Mapping[str, str]) -> dict[str, str]:
    """The generated secrets the environment lacks, created once and kept in `data_dir/secrets.json`."""
    path = data_dir / "secrets.json"
    stored: dict[str, str] = msgspec.json.decode(path.read_bytes()) if path.is_file() else {}
    missing = [name for name in GENERATED_SECRETS if not present.get(name) and name not in stored]
    if missing:
        for name in missing:
            stored[name] = secrets.token_urlsafe(32)
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(msgspec.json.encode(stored))
        tmp.chmod(0o600)
        tmp.replace(path)
    return {name: stored[name] for name in GENERATED_SECRETS if not present.get(name)}


def environment(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict[str, str]:
    """The merged configuration: `.env` first, the process environment over it, generated secrets last."""
    env = dict(os.environ if environ is None else environ)
    merged = read_dotenv(dotenv if dotenv is not None else Path(env.get("CHILLPROXY_ENV_FILE", ".env")))
    merged.update({k: v for k, v in env.items()})
    data_dir = Path(merged.get("CHILLPROXY_DATA") or "./var").resolve()
    merged["CHILLPROXY_DATA"] = str(data_dir)
    merged.update(ensure_generated_secrets(data_dir, merged))
    return merged


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"configuration error: {name} must be an integer, got {raw!r}") from None


def _replicas(env: Mapping[str, str]) -> int:
    replicas = _int(env, "CHILLPROXY_REPLICAS", 1)
    if not 1 <= replicas <= 8:
        raise SystemExit(f"configuration error: CHILLPROXY_REPLICAS must be from 1 to 8, got {replicas}")
    return replicas


def _public_port(env: Mapping[str, str]) -> int:
    """CHILLPROXY_PORT as compose takes it too: `8080`, or `127.0.0.1:8080` (the port after the address)."""
    raw = env.get("CHILLPROXY_PORT") or ""
    address, _, port = raw.rpartition(":")
    return _int({"CHILLPROXY_PORT": port}, "CHILLPROXY_PORT", 8080) if address or port else 8080


def load_settings(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    env = environment(environ, dotenv)
    data_dir = Path(env["CHILLPROXY_DATA"])
    service_port = env.get("SERVICE_PORT")
    return Settings(
        port=_public_port(env),
        replicas=_replicas(env),
        nats_replicas=_int(env, "NATS_REPLICAS", 1),
        data_dir=data_dir,
        database_url=env.get("DATABASE_URL") or None,
        nats_url=env.get("NATS_URL") or None,
        secret_key=env["SECRET_KEY"],
        admin_token=env["ADMIN_TOKEN"],
        internal_api_key=env["INTERNAL_API_KEY"],
        torbox_api_url=env.get("TORBOX_API_URL") or "https://api.torbox.app",
        torbox_requests_per_minute=_int(env, "TORBOX_REQUESTS_PER_MINUTE", 300),
        prowlarr_url=env.get("PROWLARR_URL") or None,
        prowlarr_api_key=env.get("PROWLARR_API_KEY") or None,
        cinemeta_url=env.get("CINEMETA_URL") or "https://v3-cinemeta.strem.io",
        qbt_username=env.get("QBT_USERNAME") or "admin",
        qbt_password=env["QBT_PASSWORD"],
        qbt_torbox_token=env.get("QBT_TORBOX_TOKEN") or None,
        qbt_pool_user=env.get("QBT_POOL_USER") or None,
        download_root=Path(env.get("DOWNLOAD_ROOT") or data_dir / "downloads"),
        otel_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
        log_level=(env.get("LOG_LEVEL") or "info").lower(),
        db_pool_min=_int(env, "DB_POOL_MIN", 1),
        db_pool_max=_int(env, "DB_POOL_MAX", 5),
        max_body_bytes=_int(env, "MAX_BODY_BYTES", 1 << 20),
        service_host=env.get("SERVICE_HOST") or "127.0.0.1",
        service_port=int(service_port) if service_port else None,
        trusted_proxies=parse_networks(env.get("TRUSTED_PROXIES") or DEFAULT_TRUSTED),
        env=env,
    )
