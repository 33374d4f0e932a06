"""Every Python entry of the native module runs inside `py_error::entry`
(the blocking fetches through `blocking`, which calls it), so a Rust panic
becomes a `NativeAuthError` (internal_error), never a PanicException."""

from __future__ import annotations

import re
from pathlib import Path

SOURCES = Path(__file__).resolve().parent.parent / "src"
# A function exported to Python: a #[pyfunction], or a method in a #[pymethods] block.
ENTRY = re.compile(r"^\s*(?:pub )?fn (\w+)", re.MULTILINE)


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


def test_every_entry_is_wrapped() -> None:
    found: dict[str, str] = {}
    for source in sorted(SOURCES.glob("*.rs")):
        for name, body in exported_bodies(source.read_text()).items():
            found[f"{source.name}:{name}"] = body
    # The parser sees the entries (else this test would pass vacuously).
    assert "py_authenticator.rs:authenticate" in found
    assert "py_discovery.rs:fetch_server_config_async" in found
    assert "py_functions.rs:error_codes" in found
    assert "py_verifier.rs:verify_sync" in found
    assert len(found) >= 27
    # `blocking` (py_discovery.rs) runs its work inside `entry`.
    wrapped = re.compile(r"\b(?:entry|blocking)\(\s*py\b")
    unwrapped = [name for name, body in found.items() if not wrapped.search(body)]
    assert unwrapped == []
