"""Render test-artifacts/onnx_coverage.json (written by test_onnx_coverage.py) as Markdown.

    python -m pytest tests/model/test_onnx_coverage.py
    python -m tests.model.onnx_coverage_table [path/to/onnx_coverage.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).resolve().parents[2] / "test-artifacts" / "onnx_coverage.json"


def _number(value: Any) -> str:
    if value is None:
        return "–"
    return "0" if value == 0 else f"{value:.1e}"


def _inputs(types: dict[str, str] | None) -> str:
    if not types:
        return "–"
    kinds = sorted(set(types.values()))
    if len(types) == 1:
        return f"1 × {kinds[0]}"
    return f"{len(types)} columns ({', '.join(kinds)})"


def _outcome(entry: dict[str, Any]) -> tuple[str, str]:
    if entry["status"] == "converted":
        return "yes", "pass"
    if entry.get("verdict") == "fail":
        return "yes", "**fail** → native kept"
    return "**no** → native kept", "–"


def render(entries: list[dict[str, Any]]) -> str:
    """The Markdown table of the coverage report."""
    lines = [
        "| Model | Framework | Converts | Parity | Max abs diff | Max rel diff | ONNX input |"
        " Note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        converts, parity = _outcome(e)
        note = e.get("note") or ""
        if not note and e["status"] != "converted":
            note = (e.get("error") or "").split(":")[0]
        lines.append(
            f"| {e['name']} | {e['framework']} | {converts} | {parity} | "
            f"{_number(e.get('max_abs_diff'))} | {_number(e.get('max_rel_diff'))} | "
            f"{_inputs(e.get('input_types'))} | {note} |")
    passed = sum(e["status"] == "converted" for e in entries)
    lines.append("")
    lines.append(f"{passed} of {len(entries)} converted and passed parity.")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT
    if not path.is_file():
        print(f"{path} does not exist; run pytest tests/model/test_onnx_coverage.py first.",
              file=sys.stderr)
        return 1
    print(render(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
