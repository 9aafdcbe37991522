"""The shape the issues fix: a service never imports another service; libs never import a service."""

import ast
import importlib
import subprocess
from pathlib import Path

import pytest
from starlette.routing import Mount, Route

from libs.bus import Answer, Consume, Listen
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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The project modules `path` imports when it runs: imports under `if TYPE_CHECKING:` are for the type
    checker only and do not count."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        for child in ast.walk(statement)
    }
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known)
    return {name for name in found if name in known and name != module}


def test_no_module_imports_itself_round_about():
    """No import cycle in libs/ or services/: a cycle means two modules that cannot be read, tested or changed
    apart (and an import order that works by luck)."""
    paths = [*(ROOT / "libs").rglob("*.py"), *(ROOT / "services").rglob("*.py")]
    modules = {_module_name(path): path for path in paths}
    graph = {name: _runtime_imports(path, name, set(modules)) for name, path in modules.items()}
    cycles, index, low, stack, on_stack, counter = [], {}, {}, [], set(), [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_a_repository_hands_on_structs_never_records(service):
    """What leaves a repository is typed (msgspec Structs, plain values): no `asyncpg.Record` read by string
    keys in the decisions behind it."""
    folder = ROOT / service.module.replace(".", "/")
    for path in [*folder.glob("repository/*.py"), *folder.glob("repository.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.returns is not None:
                assert "Record" not in ast.unparse(node.returns), f"{path.name}: {node.name} returns Records"
    for path in folder.glob("*.py"):
        assert "asyncpg.Record" not in path.read_text(), f"{path.name} still handles Records"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_routes_are_grouped_under_the_prefixes_the_service_owns(service):
    """routes.py groups its endpoints with a Mount per prefix Traefik sends it (or a path below one); beside
    the Mounts only a bare prefix itself (a Mount matches what is below it, not the prefix alone)."""
    routes = importlib.import_module(service.module + ".routes").ROUTES
    assert any(isinstance(route, Mount) for route in routes)
    for route in routes:
        assert isinstance(route, Mount | Route), route
        under = [p for p in service.prefixes if route.path == p or route.path.startswith(p + "/")]
        assert under, f"{service.name}: {route.path} is not below one of its prefixes"
        assert isinstance(route, Mount) or route.path in service.prefixes, f"{route.path} is not in a Mount"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_the_nats_edge_is_declared_in_handlers_beside_the_routes(service):
    """What a service answers and consumes on NATS is read in one place, `handlers.py`; no part subscribes on
    its own (start-up binds the list, like the routes)."""
    folder = ROOT / service.module.replace(".", "/")
    for path in folder.rglob("*.py"):
        text = path.read_text()
        for call in ("bus.serve(", "bus.listen(", "Consumer("):
            assert call not in text, f"{path.relative_to(ROOT)} subscribes with {call} outside handlers.py"
    handlers = folder / "handlers.py"
    if handlers.exists():
        module = importlib.import_module(service.module + ".handlers")
        assert module.HANDLERS and all(isinstance(h, Answer | Listen | Consume) for h in module.HANDLERS)
        app_source = (folder / "app.py").read_text()
        assert "handlers=HANDLERS" in app_source, f"{service.name}: app.py does not bind its HANDLERS"
