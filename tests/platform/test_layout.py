"""The shape the issues fix: a service never imports another service; libs never import a service."""

import ast
import importlib
import subprocess
from pathlib import Path

import pytest
from starlette.routing import Route

from libs.topology import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_top_level_layout():
    for entry in ("services", "libs", "deploy", "traefik", "tests", "bench", "docs", "Makefile", "README.md"):
        assert (ROOT / entry).exists(), entry
    tracked = subprocess.run(["git", "ls-files", "*pyproject.toml"], cwd=ROOT, capture_output=True, text=True)
    assert tracked.stdout.split() in (["pyproject.toml"], [])  # [] before the first commit of a checkout


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_a_service_imports_only_itself_and_libs(service):
    own = service.module
    folder = ROOT / own.replace(".", "/")
    for path in folder.rglob("*.py"):
        for module in imported_modules(path):
            if module.startswith("services"):
                assert module == own or module.startswith(own + "."), f"{path} imports {module}"


def test_libs_never_import_a_service():
    for path in (ROOT / "libs").rglob("*.py"):
        assert not any(m.startswith("services") for m in imported_modules(path)), path


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_each_service_is_runnable_and_answers_health(service, tmp_path):
    assert (ROOT / service.module.replace(".", "/") / "__main__.py").is_file()
    app_module = importlib.import_module(service.module + ".app")
    assert app_module.SERVICE == service.name
    from tests.conftest import make_settings

    app = app_module.build(make_settings(tmp_path, DATABASE_URL="postgresql://x/y", NATS_URL="nats://x"))
    assert any(isinstance(r, Route) and r.path == "/health" for r in app.routes)
