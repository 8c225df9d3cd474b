"""Scan a local store the way a suspicious reader would: is everything visible complete?

"Visible" is what a reader can reach: ``runs/<id>`` folders and their artifacts not named
``.tmp-*``, and ``models/<name>/versions/<N>`` folders. A visible model folder is complete
when its MLmodel parses and every checksummed file is present with its checksum. Leftovers
(``.tmp-*`` artifacts, ``.staging`` entries) are invisible to readers; a killed process may
leave them behind, a handled fault must not.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from autolog.model.folder import read_model_folder, verify_checksums


@dataclass
class Scan:
    """What :func:`scan_store` found."""

    runs: dict[str, dict] = field(default_factory=dict)  # run id -> run.json
    models: dict[str, Path] = field(default_factory=dict)  # run id -> complete model folder
    versions: dict[tuple[str, int], dict] = field(default_factory=dict)  # -> version.json
    problems: list[str] = field(default_factory=list)  # visible but incomplete or corrupt
    leftovers: list[str] = field(default_factory=list)  # hidden temporary files and folders

    @property
    def ok(self) -> bool:
        return not self.problems


def check_model_folder(path: Path) -> str | None:
    """None if ``path`` is a complete model folder, else what is wrong with it."""
    try:
        folder = read_model_folder(path)
        verify_checksums(folder)
        if not folder.checksums:
            return f"{path}: MLmodel has no checksums"
        for name in ("conda.yaml", "python_env.yaml", "requirements.txt"):
            if not (path / name).is_file():
                return f"{path}: {name} missing"
    except Exception as exc:  # noqa: BLE001 - any failure is a finding
        return f"{path}: {type(exc).__name__}: {exc}"
    return None


def _json(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path} holds {type(data).__name__}, not an object")
    return data


def _scan_runs(root: Path, scan: Scan) -> None:
    runs_dir = root / "runs"
    for entry in sorted(os.scandir(runs_dir), key=lambda e: e.name) if runs_dir.is_dir() else []:
        run_dir = Path(entry.path)
        try:
            info = _json(run_dir / "run.json")
            assert info["run_id"] == entry.name, f"run.json of {entry.name} names {info['run_id']}"
            for name in ("params.json", "tags.json"):
                if (run_dir / name).exists():
                    _json(run_dir / name)
        except Exception as exc:  # noqa: BLE001
            scan.problems.append(f"run {entry.name}: {type(exc).__name__}: {exc}")
            continue
        scan.runs[entry.name] = info
        artifacts = run_dir / "artifacts"
        entries = sorted(os.scandir(artifacts), key=lambda e: e.name) if artifacts.is_dir() else []
        for art in entries:
            if art.name.startswith(".tmp-"):
                scan.leftovers.append(art.path)
            elif art.name == "model" or (Path(art.path) / "MLmodel").exists():
                problem = check_model_folder(Path(art.path))
                if problem:
                    scan.problems.append(problem)
                elif art.name == "model":
                    scan.models[entry.name] = Path(art.path)
        for tmp in run_dir.glob(".tmp-*"):
            scan.leftovers.append(str(tmp))


def _scan_registry(root: Path, scan: Scan) -> None:
    models_dir = root / "models"
    for model in sorted(models_dir.iterdir()) if models_dir.is_dir() else []:
        versions = model / "versions"
        for version in sorted(versions.iterdir()) if versions.is_dir() else []:
            label = f"version {model.name}/{version.name}"
            if not version.name.isdigit():
                scan.problems.append(f"{label}: not a version number")
                continue
            try:
                record = _json(version / "version.json")
                assert record["version"] == int(version.name), f"{label} says {record['version']}"
                assert record["name"] == model.name, f"{label} names {record['name']}"
            except Exception as exc:  # noqa: BLE001
                scan.problems.append(f"{label}: {type(exc).__name__}: {exc}")
                continue
            problem = check_model_folder(version / "model")
            if problem:
                scan.problems.append(f"{label}: {problem}")
            else:
                scan.versions[(model.name, int(version.name))] = record
        for name in ("model.json", "aliases.json", "counter"):
            path = model / name
            if path.exists():
                try:
                    json.loads(path.read_text(encoding="utf-8"))
                except ValueError as exc:
                    scan.problems.append(f"{path}: {exc}")


def scan_store(root: Path) -> Scan:
    """Every run, model folder and registry version of the local store at ``root``."""
    scan = Scan()
    root = Path(root)
    _scan_runs(root, scan)
    _scan_registry(root, scan)
    staging = root / ".staging"
    if staging.is_dir():
        scan.leftovers.extend(str(p) for p in staging.iterdir())
    return scan
