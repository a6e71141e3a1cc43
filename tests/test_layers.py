"""The import layers of docs/architecture.md hold: a module imports only from layers below its
own, modules of one layer that are told apart by "|" never import each other, every module of
the package is in a layer, and no import cycle exists among practicesim's modules (imports
inside functions and under ``TYPE_CHECKING`` included). The layers are the import-linter
contract in pyproject.toml; grimp (import-linter's graph) checks them here."""

from __future__ import annotations

import graphlib
import tomllib

import grimp
import pytest

from tests.conftest import ROOT

PACKAGE = "practicesim"


def contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return layers


def layers() -> list[grimp.Layer]:
    """The contract's layers, top first; "a | b" is a layer of independent modules."""
    return [grimp.Layer(*(name.strip() for name in layer.split("|")), independent=True)
            for layer in contract()["layers"]]


def layer_violations(graph: grimp.ImportGraph) -> list[str]:
    found = graph.find_illegal_dependencies_for_layers(layers=layers(), containers={PACKAGE})
    return sorted(f"{d.importer} -> {d.imported} (" + "; ".join(
        " -> ".join([min(r.heads), *r.middle, min(r.tails)]) for r in d.routes) + ")"
        for d in found)


def cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """Each import cycle found among the graph's modules (empty when there is none)."""
    found = []
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    while True:
        try:
            graphlib.TopologicalSorter(edges).prepare()
        except graphlib.CycleError as error:
            cycle = tuple(error.args[1])
            found.append(cycle)
            edges[cycle[1]].discard(cycle[0])
            continue
        return found


def build() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, exclude_type_checking_imports=False, cache_dir=None)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return build()


def test_every_import_goes_down_the_layers(graph):
    assert layer_violations(graph) == []


def test_every_module_is_in_a_layer(graph):
    named = {f"{PACKAGE}.{tail}" for layer in layers() for tail in layer.module_tails}
    children = graph.find_children(PACKAGE)
    assert children - named == set(), "add the new module to a layer in pyproject.toml"
    assert named - children == set(), "a layer names a module that does not exist"


def test_no_import_cycle(graph):
    assert cycles(graph) == []


def test_the_checks_find_a_wrong_import():
    """The checks fail when they should: an import from the ledger up to the engine breaks the
    layers and closes a cycle; one between the clinic and the revenue cycle breaks their
    independence."""
    broken = build()
    broken.add_import(importer=f"{PACKAGE}.ledger", imported=f"{PACKAGE}.engine")
    broken.add_import(importer=f"{PACKAGE}.clinic.demand",
                      imported=f"{PACKAGE}.revenue.claims")
    violations = layer_violations(broken)
    assert any(v.startswith(f"{PACKAGE}.ledger -> {PACKAGE}.engine") for v in violations)
    assert any(v.startswith(f"{PACKAGE}.clinic -> {PACKAGE}.revenue") for v in violations)
    assert any(f"{PACKAGE}.ledger" in cycle and f"{PACKAGE}.engine" in cycle
               for cycle in cycles(broken))
