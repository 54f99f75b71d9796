"""The package layering, checked on the source: no module imports against the data flow, and no module reads
another package's private (`_name`) attributes.

Data flows `mesh -> synth_datasets -> conditioning/diffusion -> synth_datasets -> eval`; `gaitcraft/` is the
face. In import terms:

- the gaitcraft core (types, I/O, errors, dataset reading: everything in `gaitcraft/` but the CLI) is the floor
  that every package may import, and imports nothing else;
- `mesh` (bodies, motion, rendering, 3D reconstruction) and `conditioning` (the condition factors) sit on it;
- `diffusion` (the generator) reads the condition declarations; it gets its data through `gaitcraft.dataset`;
- `synth_datasets` builds datasets: it drives the walker (`mesh`) and the generator (`diffusion`);
- `eval` measures what it is handed: it may use models from every layer but never builds data, so it does not
  import `synth_datasets`;
- the face (`gaitcraft/cli.py`, `gaitcraft/commands/`, `gaitcraft/arguments.py`) and the `benchmarks/` scripts may import everything.

Imports inside functions and under `if TYPE_CHECKING:` count like any other.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: top-level folders whose modules are checked
PACKAGES = ("gaitcraft", "mesh", "conditioning", "diffusion", "synth_datasets", "eval", "benchmarks")

#: modules of the face: the command line, which may call down into every package
FACE = ("gaitcraft.cli", "gaitcraft.commands", "gaitcraft.arguments", "gaitcraft.__main__")

ALL_LAYERS = frozenset({"core", "mesh", "conditioning", "diffusion", "synth_datasets", "eval", "face",
                        "benchmarks"})

#: layer -> the layers its modules may import
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset({"core"}),
    "mesh": frozenset({"core", "mesh"}),
    "conditioning": frozenset({"core", "conditioning"}),
    "diffusion": frozenset({"core", "conditioning", "diffusion"}),
    "synth_datasets": frozenset({"core", "mesh", "conditioning", "diffusion", "synth_datasets"}),
    "eval": frozenset({"core", "mesh", "conditioning", "diffusion", "eval"}),
    "face": ALL_LAYERS - {"benchmarks"},
    "benchmarks": ALL_LAYERS - {"face"},
}

#: inside a layer: subpackage -> the subpackages of the same layer it may import (others: any)
INNER_ALLOWED: dict[str, tuple[str, ...]] = {
    "eval.models": ("eval.models",),  # model definitions know nothing of how they are trained or scored
    "eval.training": ("eval.models", "eval.training", "eval.evaluation"),
    "eval.evaluation": ("eval.models", "eval.training", "eval.evaluation"),
}

#: (importing module, imported layer) pairs tolerated for now; each must still occur (a stale entry fails)
EXCEPTIONS: set[tuple[str, str]] = set()


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name of this repository, or None for a third-party module."""
    top = module.split(".")[0]
    if top == "gaitcraft":
        return "face" if any(module == f or module.startswith(f + ".") for f in FACE) else "core"
    return top if top in ALL_LAYERS else None


def module_name(path: Path, root: Path) -> str:
    """`eval/audit/walker.py` -> `eval.audit.walker`; a package's `__init__.py` is the package itself."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(module: str, is_package: bool) -> str:
    """The package a module's private names belong to: its folder."""
    return module if is_package else module.rpartition(".")[0]


@dataclass(frozen=True)
class Import:
    """One imported module (and, for `from M import n`, the name taken from it) at a line of a file."""

    module: str
    name: str | None
    line: int


class SourceTree:
    """The Python modules under `root`'s `packages`, parsed once."""

    def __init__(self, root: Path, packages: tuple[str, ...] = PACKAGES):
        self.root = root
        self.files: dict[str, Path] = {}
        for pkg in packages:
            for path in sorted((root / pkg).rglob("*.py")):
                self.files[module_name(path, root)] = path

    def is_module(self, name: str) -> bool:
        return name in self.files

    def is_package(self, name: str) -> bool:
        return name in self.files and self.files[name].name == "__init__.py"

    def imports(self, module: str, tree: ast.AST) -> list[Import]:
        """Every import of `tree` (any depth), relative ones resolved; `importlib.import_module("x")` included."""
        out = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out += [Import(a.name, None, node.lineno) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package_of(module, self.is_package(module)).split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    out.append(Import(sub, None, node.lineno) if self.is_module(sub)
                               else Import(base, a.name, node.lineno))
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "import_module" and node.args
                  and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                out.append(Import(node.args[0].value, None, node.lineno))
        return out

    def module_aliases(self, tree: ast.AST, imports: list[Import]) -> dict[str, str]:
        """Local names bound to modules of this repository (`import a.b as m`, `from a import b`)."""
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        aliases[a.name.split(".")[0]] = a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    hit = [i.module for i in imports if i.line == node.lineno and i.name is None
                           and i.module.endswith("." + a.name)]
                    if hit:
                        aliases[a.asname or a.name] = hit[0]
        return {k: v for k, v in aliases.items() if self.is_module(v) or layer_of(v) is not None}

    def resolve(self, node: ast.expr, aliases: dict[str, str]) -> str | None:
        """The module an expression names (`m`, `pkg.sub`), or None."""
        if isinstance(node, ast.Name):
            return aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value, aliases)
            if base is not None and self.is_module(f"{base}.{node.attr}"):
                return f"{base}.{node.attr}"
        return None

    def violations(self) -> list[str]:
        """Every import against the layering and every read of another package's private name, one line each;
        plus every entry of `EXCEPTIONS` that no longer occurs."""
        problems, used = [], set()
        for module, path in self.files.items():
            rel = path.relative_to(self.root)
            tree = ast.parse(path.read_text(), filename=str(path))
            layer = layer_of(module)
            home = package_of(module, self.is_package(module))
            imports = self.imports(module, tree)
            for imp in imports:
                target = layer_of(imp.module)
                if target is None:
                    continue
                if target not in ALLOWED[layer]:
                    if (module, target) in EXCEPTIONS:
                        used.add((module, target))
                    else:
                        problems.append(f"{rel}:{imp.line}: {layer} imports {imp.module} ({target})")
                if not _inner_allowed(module, imp.module):
                    problems.append(f"{rel}:{imp.line}: {module} imports {imp.module}")
                if imp.name is not None and _private(imp.name) and self._foreign(imp.module, home):
                    problems.append(f"{rel}:{imp.line}: imports private {imp.module}.{imp.name}")
            aliases = self.module_aliases(tree, imports)
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and _private(node.attr):
                    owner = self.resolve(node.value, aliases)
                    if owner is not None and self._foreign(owner, home):
                        problems.append(f"{rel}:{node.lineno}: reads private {owner}.{node.attr}")
        problems += [f"{m}: the exception for importing {t} is no longer needed; remove it from EXCEPTIONS"
                     for m, t in sorted(EXCEPTIONS - used) if m in self.files]
        return sorted(set(problems))

    def import_graph(self) -> dict[str, set[str]]:
        """module -> the modules of this tree it imports (at any depth of the file)."""
        graph = {}
        for module, path in self.files.items():
            deps = set()
            for imp in self.imports(module, ast.parse(path.read_text(), filename=str(path))):
                target = imp.module
                while target and not self.is_module(target):
                    target = target.rpartition(".")[0]
                if target and target != module:
                    deps.add(target)
            graph[module] = deps
        return graph

    def cycles(self) -> list[list[str]]:
        """The import circles: every group of two or more modules that import each other (directly or not)."""
        graph, order, low, stack, found = self.import_graph(), {}, {}, [], []

        def visit(v: str) -> None:  # Tarjan's strongly connected components
            order[v] = low[v] = len(order)
            stack.append(v)
            for w in sorted(graph[v]):
                if w not in order:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in stack:
                    low[v] = min(low[v], order[w])
            if low[v] == order[v]:
                group = []
                while not group or group[-1] != v:
                    group.append(stack.pop())
                if len(group) > 1:
                    found.append(sorted(group))

        for v in sorted(graph):
            if v not in order:
                visit(v)
        return sorted(found)

    def _foreign(self, module: str, home: str) -> bool:
        """Whether `module`'s private names belong to a package other than `home`."""
        return layer_of(module) is not None and package_of(module, self.is_package(module)) != home


def _inner_allowed(module: str, target: str) -> bool:
    """Whether `module` may import `target` by `INNER_ALLOWED` (only pairs within one layer are restricted)."""
    for sub, allowed in INNER_ALLOWED.items():
        if (module == sub or module.startswith(sub + ".")) and layer_of(target) == layer_of(module):
            return any(target == a or target.startswith(a + ".") for a in allowed)
    return True


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_module_imports_against_the_data_flow():
    problems = SourceTree(ROOT).violations()
    assert not problems, "layering violations:\n" + "\n".join(problems)


def test_no_import_circles():
    assert SourceTree(ROOT).cycles() == []


def test_command_line_parsing_lives_only_in_the_face():
    """Every command is an entry of `gaitcraft.cli.COMMANDS` whose module `gaitcraft/commands/<name>.py` declares
    its arguments and calls library functions; no library module parses arguments of its own."""
    from gaitcraft.cli import COMMANDS

    tree = SourceTree(ROOT)
    parsers = sorted(m for m, path in tree.files.items() if layer_of(m) not in ("face", "benchmarks")
                     and _parses_arguments(m, tree, ast.parse(path.read_text())))
    assert parsers == [], f"library modules with their own argument parsing: {parsers}"
    modules = {p.stem for p in (ROOT / "gaitcraft" / "commands").glob("*.py")} - {"__init__"}
    assert modules == {name.replace("-", "_") for name, _ in COMMANDS}, "a command module is not in COMMANDS"


def _parses_arguments(module: str, tree: SourceTree, syntax: ast.AST) -> bool:
    """Whether a module imports argparse or declares arguments (`.add_argument(...)`, `.add_parser(...)`)."""
    calls = {n.func.attr for n in ast.walk(syntax) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    return (any(i.module == "argparse" for i in tree.imports(module, syntax))
            or bool(calls & {"add_argument", "add_parser", "add_subparsers"}))


def _plant(root: Path, files: dict[str, str]) -> SourceTree:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for pkg in {Path(rel).parts[0] for rel in files}:
        (root / pkg / "__init__.py").touch()
    return SourceTree(root, tuple(sorted({Path(rel).parts[0] for rel in files})))


def test_checker_accepts_imports_along_the_flow(tmp_path):
    tree = _plant(tmp_path, {
        "gaitcraft/errors.py": "class DataError(Exception):\n    pass\n",
        "mesh/body.py": "from gaitcraft.errors import DataError\n",
        "synth_datasets/walk.py": "import mesh.body\nfrom mesh import body\n",
        "eval/score.py": "from mesh.body import *\n",
        "gaitcraft/commands/run.py": "import eval.score\nimport synth_datasets.walk\n",
    })
    assert tree.violations() == []


def test_checker_catches_planted_violations(tmp_path):
    tree = _plant(tmp_path, {
        "gaitcraft/errors.py": "def helper():\n    import eval.score  # the core reaching up\n",
        "mesh/body.py": "_CACHE = None\n\ndef _build():\n    pass\n",
        "synth_datasets/walk.py": "from mesh.body import _build\n",
        "eval/score.py": "def f():\n    from synth_datasets import walk\n    return walk\n",
        "eval/sub/__init__.py": "",
        "eval/sub/peek.py": "import mesh.body as b\nfrom mesh import body\nx = b._CACHE or body._build()\n",
        "eval/sub/rel.py": "from ..score import _hidden\n",
        "eval/models/__init__.py": "",
        "eval/models/net.py": "from eval.training import loop\n",
        "eval/training/__init__.py": "",
        "eval/training/loop.py": "from eval.models import net\n",
    })
    found = tree.violations()
    assert any("gaitcraft/errors.py:2: core imports eval.score" in p for p in found), found
    assert any("eval/score.py:2: eval imports synth_datasets.walk (synth_datasets)" in p for p in found), found
    assert any("synth_datasets/walk.py:1: imports private mesh.body._build" in p for p in found), found
    assert any("eval/sub/peek.py:3: reads private mesh.body._CACHE" in p for p in found), found
    assert any("eval/sub/peek.py:3: reads private mesh.body._build" in p for p in found), found
    assert any("eval/sub/rel.py:1: imports private eval.score._hidden" in p for p in found), found
    assert any("eval/models/net.py:1: eval.models.net imports eval.training.loop" in p for p in found), found
    assert len(found) == 7, found


def test_checker_finds_an_import_circle_even_through_type_checking_imports(tmp_path):
    tree = _plant(tmp_path, {
        "eval/net.py": "from eval.blocks import Block\n",
        "eval/blocks.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from eval.net import Net\n",
        "eval/other.py": "import eval.net\n",
    })
    assert tree.cycles() == [["eval.blocks", "eval.net"]]
