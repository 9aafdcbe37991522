"""deploy/: the compose file is valid, every variable is documented, the Dockerfile runs what exists."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from libs.topology import SERVICES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"


def documented_variables() -> set[str]:
    """Every `NAME=` line of the example, set or left commented out (`# NAME=value`: unset on purpose)."""
    found = (re.match(r"^(?:# )?([A-Z][A-Z0-9_]+)=", line) for line in ENV_EXAMPLE.read_text().splitlines())
    return {match.group(1) for match in found if match}


def example_env(tmp_path: Path) -> Path:
    """deploy/.env.example with the secrets compose insists on filled in."""
    env = ENV_EXAMPLE.read_text()
    for required in ("POSTGRES_PASSWORD", "SECRET_KEY", "ADMIN_TOKEN", "INTERNAL_API_KEY", "QBT_PASSWORD"):
        env = env.replace(f"\n{required}=\n", f"\n{required}=set-for-the-test\n")
    env_file = tmp_path / ".env"
    env_file.write_text(env + f"\nCHILLPROXY_ENV_FILE={env_file}\n")
    return env_file


def test_compose_file_is_valid(tmp_path):
    assert shutil.which("docker-compose"), "make test installs Debian's docker-compose (tests/system-deps.sh)"
    env_file = example_env(tmp_path)
    result = subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_cluster_file_gives_every_service_two_replicas_on_three_nats_nodes(tmp_path):
    """deploy/docker-compose.cluster.yml over the main file (what `make test-compose` runs for real): each
    service twice, alike but for its name, on the three NATS nodes with streams kept on all three, and
    Traefik given both replicas of each."""
    env_file = example_env(tmp_path)
    cluster = DEPLOY / "docker-compose.cluster.yml"
    result = subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", str(COMPOSE), "-f", str(cluster), "config"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    nodes = "nats://nats:4222,nats://nats-2:4222,nats://nats-3:4222"
    for service in SERVICES:
        first, second = services[service.name], services[f"{service.name}-2"]
        assert first["command"] == second["command"] == ["python", "-m", service.module]
        for replica in (first, second):
            assert replica["environment"]["NATS_URL"] == nodes and replica["environment"]["NATS_REPLICAS"] == "3"
            assert {"nats", "nats-2", "nats-3", "postgres"} <= set(replica["depends_on"])
            assert "/health" in " ".join(replica["healthcheck"]["test"])
        assert first.get("volumes") == second.get("volumes")  # the same downloads folder
        backends = services["traefik"]["environment"][f"{service.env_prefix}_URL"]
        assert backends == f"http://{service.name}:8000,http://{service.name}-2:8000"
    for node in ("nats", "nats-2", "nats-3"):
        command = services[node]["command"]
        assert "--cluster_name" in command and "--routes" in command, node
    # the second replicas' template is the main file's own (compose cannot extend across depends_on)
    assert yaml.safe_load(cluster.read_text())["x-service"] == load_compose()["x-service"]


def test_compose_refuses_to_start_without_the_secrets(tmp_path):
    empty = tmp_path / ".env"
    empty.write_text("")
    result = subprocess.run(
        ["docker-compose", "--env-file", str(empty), "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "set POSTGRES_PASSWORD" in result.stderr


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_every_service_has_a_health_check_and_waits_for_nats_and_postgres():
    services = load_compose()["services"]
    for service in SERVICES:
        spec = services[service.name]
        assert spec["command"] == ["python", "-m", service.module]
        assert "/health" in " ".join(spec["healthcheck"]["test"])
        assert spec["depends_on"]["nats"]["condition"] == "service_healthy"
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthz?js-enabled-only=true" in " ".join(services["nats"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "healthcheck" in services["traefik"]["healthcheck"]["test"]
    assert services["jaeger"]["image"].startswith("cr.jaegertracing.io/jaegertracing/jaeger:2")


def test_every_variable_of_the_settings_file_reaches_the_services_but_not_the_containers_layout():
    """env_file passes deploy/.env whole; what is the container's own (its port, folders, user) is pinned in
    `environment`, which wins over env_file — the example's empty SERVICE_PORT must not reach a container."""
    services = load_compose()["services"]
    for service in SERVICES:
        spec = services[service.name]
        assert spec["env_file"] == "${CHILLPROXY_ENV_FILE:-.env}"
        env = spec["environment"]
        assert (env["SERVICE_HOST"], env["SERVICE_PORT"]) == ("0.0.0.0", "8000")
        assert (env["CHILLPROXY_DATA"], env["DOWNLOAD_ROOT"]) == ("/data", "/downloads")
        assert env["PUID"] == "${PUID:-1000}" and env["PGID"] == "${PGID:-1000}"
        assert env["OTEL_SERVICE_NAME"] == service.name
    for name in ("traefik",):
        waits = services[name]["depends_on"]
        assert {waits[s.name]["condition"] for s in SERVICES} == {"service_healthy"}
    assert "-h 127.0.0.1" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "16686" in " ".join(services["jaeger"]["healthcheck"]["test"])


def test_the_build_context_holds_only_what_the_image_needs():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[ignored.index("*")] == "*"  # everything out, then only what deploy/Dockerfile copies back in
    kept = {line[1:].rstrip("/") for line in ignored if line.startswith("!")}
    assert kept == {"pyproject.toml", "README.md", "libs", "services", "deploy/entrypoint.sh"}
    gitignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "deploy/downloads/" in gitignored


def test_only_traefik_publishes_a_port_to_the_network():
    for name, spec in load_compose()["services"].items():
        for port in spec.get("ports", []):
            assert name == "traefik" or str(port).startswith("127.0.0.1:"), (name, port)


def test_every_variable_is_documented():
    used = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE.read_text()))
    sources = [ROOT / "libs" / "config.py", ROOT / "libs" / "embedded" / "stack.py", *ROOT.glob("services/*/config.py")]
    config_source = "".join(path.read_text() for path in sources)
    used |= set(re.findall(r'"([A-Z][A-Z_]{2,})"', config_source)) - {"GENERATED_SECRETS"}
    missing = used - documented_variables()
    assert not missing, f"not in deploy/.env.example: {sorted(missing)}"


@pytest.mark.parametrize("variable", ["OTEL_EXPORTER_OTLP_ENDPOINT", "DATABASE_URL", "NATS_URL", "ADMIN_TOKEN"])
def test_spec_variables_are_documented(variable):
    assert variable in documented_variables()


def test_the_dockerfile_installs_the_project_and_runs_a_service():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    for copied in ("libs", "services", "pyproject.toml"):
        assert copied in dockerfile
    command = re.search(r'^CMD \["python", "-m", "([a-z_.]+)"\]', dockerfile, re.M).group(1)
    assert command in {s.module for s in SERVICES}
