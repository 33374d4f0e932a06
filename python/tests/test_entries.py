"""Every Python entry of the native module runs inside `py_error::entry`, so
a Rust panic becomes a `NativeAuthError` (internal_error), never a
PanicException. The discovery fetches are declared in pairs through a
`macro_rules!` template (py_discovery.rs): each name gets the template's body."""

from __future__ import annotations

import re
from pathlib import Path

SOURCES = Path(__file__).resolve().parent.parent / "src"
# A function exported to Python: a #[pyfunction], or a method in a #[pymethods] block.
ENTRY = re.compile(r"^\s*(?:pub )?fn (\w+)", re.MULTILINE)
# A macro's definition and its invocations, each from a line `NAME! {` to a line `}`.
MACRO = re.compile(r"^macro_rules! (\w+) \{$(.*?)^\}$", re.MULTILINE | re.DOTALL)
# The names an invocation gives its entries, in the template's order: `sync / async_`.
NAMES = re.compile(r"^\s*(\w+) / (\w+)\b", re.MULTILINE)


def exported_bodies(text: str) -> dict[str, str]:
    bodies: dict[str, str] = {}
    in_methods = False
    depth = 0
    lines = text.splitlines()
    pending_pyfunction = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#[pymethods]"):
            in_methods, depth = True, 0
        if line.strip().startswith("#[pyfunction]"):
            pending_pyfunction = True
        match = ENTRY.match(line)
        if match and (pending_pyfunction or (in_methods and depth == 1)):
            body, level, j = [], 0, i
            while j < len(lines):
                body.append(lines[j])
                level += lines[j].count("{") - lines[j].count("}")
                if level == 0 and "{" in "".join(body):
                    break
                j += 1
            bodies[match.group(1)] = "\n".join(body)
            pending_pyfunction = False
        if in_methods:
            depth += line.count("{") - line.count("}")
            if depth == 0 and "}" in line:
                in_methods = False
        i += 1
    return bodies


def macro_bodies(text: str) -> dict[str, str]:
    """The entries a `macro_rules!` template defines (`pub fn $name`), under
    the names each invocation gives them, with the template's bodies."""
    bodies: dict[str, str] = {}
    for macro in MACRO.finditer(text):
        name, template = macro.group(1), macro.group(2).replace("fn $", "fn ")
        defined = exported_bodies(template)
        if not defined:
            continue
        call = re.compile(rf"^{name}! \{{$(.*?)^\}}$", re.MULTILINE | re.DOTALL)
        for invocation in call.finditer(text):
            names = NAMES.search(invocation.group(1))
            assert names, f"no entry names in an invocation of {name}!"
            for given, body in zip(names.groups(), defined.values(), strict=True):
                bodies[given] = body
    return bodies


def test_every_entry_is_wrapped() -> None:
    found: dict[str, str] = {}
    for source in sorted(SOURCES.glob("*.rs")):
        text = source.read_text()
        # A template's `#[pyfunction]`s are read through its invocations only.
        plain = exported_bodies(MACRO.sub("", text))
        for name, body in {**plain, **macro_bodies(text)}.items():
            found[f"{source.name}:{name}"] = body
    # The parser sees the entries (else this test would pass vacuously).
    assert "py_authenticator.rs:authenticate" in found
    assert "py_discovery.rs:fetch_server_config_async" in found
    assert "py_functions.rs:error_codes" in found
    assert "py_verifier.rs:verify_sync" in found
    assert len(found) >= 27
    wrapped = re.compile(r"\bentry\(\s*py\b")
    unwrapped = [name for name, body in found.items() if not wrapped.search(body)]
    assert unwrapped == []
