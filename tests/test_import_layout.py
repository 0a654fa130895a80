"""The README's word on imports: they go at the top of each module, and `AppConfig.ready` (which
registers our system checks and connects signal receivers once the apps are loaded) is the one
function in `agents/` and `dashboard/` that imports."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports_inside_functions() -> list[str]:
    """`module:function` for every import statement inside a function of ours."""
    found = []
    for path in sorted([*ROOT.glob("agents/**/*.py"), *ROOT.glob("dashboard/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    found.append(f"{path.relative_to(ROOT)}:{function.name}")
    return sorted(set(found))


def test_app_config_ready_is_the_one_function_that_imports():
    assert imports_inside_functions() == ["agents/apps.py:ready"]
