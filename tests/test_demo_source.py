"""The listing a reader sees is a whole program: the file that runs, as it is."""

import ast
import inspect
import sys
from pathlib import Path

import pytest

from demos.catalog import catalog
from demos.registry import DEMOS

VARIANTS = [
    pytest.param(demo, mode, id=f"{demo.name}-{mode}")
    for demo in DEMOS.values()
    for mode in ("sync", "async")
]
# What a program may import: the standard library and the libraries it teaches.
LIBRARIES = {"aiohttp", "requests"}


def listing(demo, mode) -> str:
    return catalog()["demos"][demo.name]["modes"][mode]["source"]


@pytest.mark.parametrize(("demo", "mode"), VARIANTS)
def test_the_listing_is_the_whole_file_of_the_program_that_runs(demo, mode):
    variant = demo.variant(mode)
    assert variant.main is variant.program.main
    assert listing(demo, mode) == Path(variant.program.__file__).read_text(encoding="utf-8")


@pytest.mark.parametrize(("demo", "mode"), VARIANTS)
def test_the_program_ends_by_running_main_as_a_script(demo, mode):
    variant = demo.variant(mode)
    run = "asyncio.run(main())" if inspect.iscoroutinefunction(variant.main) else "main()"
    if (demo.name, mode) == ("debug_mode", "async"):
        run = "asyncio.run(main(), debug=True)"  # the way to turn debug mode on it teaches
    assert listing(demo, mode).endswith(f'\n\nif __name__ == "__main__":\n    {run}\n')


@pytest.mark.parametrize(("demo", "mode"), VARIANTS)
def test_the_program_imports_nothing_of_the_site(demo, mode):
    tree = ast.parse(listing(demo, mode))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative import"
            imported.add(node.module.split(".")[0])
    assert imported <= sys.stdlib_module_names | LIBRARIES
    # Nor does it bring its own print or decorate its tasks: the site does that from outside.
    assert not [node for node in ast.walk(tree) if getattr(node, "decorator_list", None)]
    assert "print" not in {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.FunctionDef)
        for target in getattr(node, "targets", [node])
        if isinstance(target, ast.Name)
    }


@pytest.mark.parametrize(("demo", "mode"), VARIANTS)
def test_main_takes_the_parameters_with_the_defaults_the_catalog_declares(demo, mode):
    # Each parameter is a constant of the program (its name in capitals), and
    # main's keyword argument of the same name defaults to it.
    variant = demo.variant(mode)
    signature = inspect.signature(variant.main)
    assert list(signature.parameters) == [param.name for param in demo.params]
    for param in demo.params:
        assert getattr(variant.program, param.name.upper()) == param.default
        assert signature.parameters[param.name].default == param.default
    # Written as the constant's name, so the reader sees where the default comes from.
    tree = ast.parse(listing(demo, mode))
    (main,) = [node for node in tree.body if getattr(node, "name", None) == "main"]
    written = {
        arg.arg: default for arg, default in zip(main.args.args, main.args.defaults, strict=True)
    }
    assert {name: ast.unparse(node) for name, node in written.items()} == {
        param.name: param.name.upper() for param in demo.params
    }
