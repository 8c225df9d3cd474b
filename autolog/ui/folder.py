"""What the UI shows of a model folder: file tree, MLmodel, signature table, input example.

Reads plain files only (JSON and the MLmodel YAML): nothing here imports an ML framework,
pandas or numpy, and nothing is unpickled.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autolog.errors import ModelFolderError
from autolog.model.folder import read_model_folder

__all__ = ["FolderView", "TreeEntry", "describe_folder", "file_tree", "signature_rows"]

MAX_TREE_ENTRIES = 500
MAX_MLMODEL_CHARS = 200_000
MAX_EXAMPLE_ROWS = 20
MAX_EXAMPLE_CHARS = 20_000


@dataclass
class TreeEntry:
    """One file or folder of a model folder, ``path`` relative to the folder."""

    path: str
    name: str
    depth: int
    is_dir: bool
    size: int | None = None


@dataclass
class FolderView:
    """A model folder prepared for a page.

    Attributes:
        tree: files and folders, depth first, folders before files.
        truncated: whether the tree was cut at :data:`MAX_TREE_ENTRIES`.
        mlmodel_text: the MLmodel file as written.
        flavors: flavor name -> its MLmodel fields.
        signature: ``inputs``/``outputs``/``params`` -> rows (``name``, ``type``,
            ``shape``, ``required``); parts without a schema are absent.
        example_columns / example_rows: the input example as a table, when it is one.
        example_text: the input example as JSON text, when it is not a table.
        error: why the folder could not be read, or None.
    """

    tree: list[TreeEntry] = field(default_factory=list)
    truncated: bool = False
    mlmodel_text: str = ""
    mlmodel: dict[str, Any] = field(default_factory=dict)
    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    signature: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    example_columns: list[str] = field(default_factory=list)
    example_rows: list[list[Any]] = field(default_factory=list)
    example_total_rows: int = 0
    example_text: str = ""
    error: str | None = None


def file_tree(root: Path, limit: int = MAX_TREE_ENTRIES) -> tuple[list[TreeEntry], bool]:
    """The files under ``root``, depth first; ``(entries, truncated)``."""
    entries: list[TreeEntry] = []

    def walk(folder: Path, depth: int) -> bool:
        try:
            children = sorted(os.scandir(folder), key=lambda e: (not e.is_dir(), e.name))
        except OSError:
            return True
        for child in children:
            if child.name.startswith(".tmp-"):
                continue
            if len(entries) >= limit:
                return False
            rel = Path(child.path).relative_to(root).as_posix()
            is_dir = child.is_dir()
            size = None if is_dir else child.stat().st_size
            entries.append(TreeEntry(rel, child.name, depth, is_dir, size))
            if is_dir and not walk(Path(child.path), depth + 1):
                return False
        return True

    complete = walk(root, 0)
    return entries, not complete


def _schema_items(raw: Any) -> list[Any] | None:
    if not raw:
        return None
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return [{"name": "", "type": str(raw)}]
    return items if isinstance(items, list) else None


def signature_rows(signature: dict[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    """The MLmodel ``signature`` mapping as table rows per part (inputs, outputs, params)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for part in ("inputs", "outputs", "params"):
        items = _schema_items((signature or {}).get(part))
        if items is None:
            continue
        rows = []
        for item in items:
            if not isinstance(item, dict):
                rows.append({"name": "", "type": str(item), "shape": "", "required": ""})
                continue
            spec = item.get("tensor-spec") or {}
            kind = item.get("type", "")
            rows.append({
                "name": item.get("name") or "",
                "type": f"tensor {spec.get('dtype', '?')}" if kind == "tensor" else str(kind),
                "shape": json.dumps(spec["shape"]) if "shape" in spec else
                json.dumps(item["shape"]) if "shape" in item else "",
                "required": "" if "required" not in item else
                ("yes" if item["required"] else "no"),
                "default": json.dumps(item["default"]) if "default" in item else "",
            })
        out[part] = rows
    return out


def _example(view: FolderView, root: Path, info: Any) -> None:
    if not isinstance(info, dict) or not info.get("artifact_path"):
        return
    path = root / str(info["artifact_path"])
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        view.example_text = f"(cannot read {info['artifact_path']}: {exc})"
        return
    if isinstance(data, dict) and isinstance(data.get("columns"), list) and isinstance(
            data.get("data"), list):
        view.example_columns = [str(c) for c in data["columns"]]
        view.example_rows = [r if isinstance(r, list) else [r]
                             for r in data["data"][:MAX_EXAMPLE_ROWS]]
        view.example_total_rows = len(data["data"])
        return
    pretty = json.dumps(data, indent=1)
    view.example_text = (pretty if len(pretty) <= MAX_EXAMPLE_CHARS else
                         pretty[:MAX_EXAMPLE_CHARS] + "\n... (cut)")


def describe_folder(root: Path) -> FolderView:
    """Read the model folder at ``root`` for display; a broken folder sets ``error``."""
    view = FolderView()
    view.tree, view.truncated = file_tree(root)
    try:
        folder = read_model_folder(root)
        text = (root / "MLmodel").read_text(encoding="utf-8", errors="replace")
    except (ModelFolderError, OSError) as exc:
        view.error = str(exc)
        return view
    view.mlmodel = folder.mlmodel
    view.mlmodel_text = (text if len(text) <= MAX_MLMODEL_CHARS else
                         text[:MAX_MLMODEL_CHARS] + "\n... (cut)")
    view.flavors = {str(k): dict(v) if isinstance(v, dict) else {"value": v}
                    for k, v in folder.flavors.items()}
    view.signature = signature_rows(folder.mlmodel.get("signature"))
    _example(view, root, folder.mlmodel.get("saved_input_example_info"))
    return view
