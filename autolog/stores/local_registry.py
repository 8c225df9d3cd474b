"""The local store's model registry, mixed into :class:`~autolog.stores.local.LocalStore`.

Layout (under the store root)::

    models/<name>/
      .lock                     file lock taken by every change to this model
      counter                   the highest version number ever given (text)
      model.json                name, created/updated time, description, tags
      aliases.json              {alias: version}
      versions/<N>/
        version.json            the ModelVersion record (aliases excepted)
        model/                  a copy of the model folder it was registered from

A new version is built under ``.staging`` (copying the model folder, the slow part, happens
outside the lock), then, holding the lock, numbered ``max(counter, highest folder) + 1`` and
renamed into ``versions/<N>`` in one step, so it appears whole or not at all and concurrent
processes get distinct consecutive numbers. The counter outlives deleted versions and deleted
models, so a number is never given twice. Readers take no lock: every JSON file is replaced
atomically.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autolog.errors import NotFoundError, StoreError
from autolog.registry.records import ModelVersion, RegisteredModel, check_model_name
from autolog.runs import now_ms
from autolog.stores.jsonfiles import read_json as _read_json
from autolog.stores.jsonfiles import write_json_atomic

__all__ = ["LocalRegistryMixin"]

LOCK_TIMEOUT_S = 120.0


class LocalRegistryMixin:
    """Registry methods of the Store contract for a store kept in a folder (``self.root``)."""

    root: Path

    def _ensure(self) -> None:  # provided by LocalStore
        raise NotImplementedError

    def staging_dir(self) -> Path:  # provided by LocalStore
        raise NotImplementedError

    # -- paths and locking --------------------------------------------------------------------
    def _model_dir(self, name: str) -> Path:
        return self.root / "models" / check_model_name(name)

    def _existing_model_dir(self, name: str) -> Path:
        path = self._model_dir(name)
        if not (path / "model.json").is_file():
            known = ", ".join(m.name for m in self.search_registered_models()[:20]) or "none"
            raise NotFoundError(f"No registered model {name!r} in the store at {self.root} "
                                f"(models: {known}).")
        return path

    def _version_dir(self, name: str, version: int) -> Path:
        path = self._existing_model_dir(name) / "versions" / str(int(version))
        if not (path / "version.json").is_file():
            have = ", ".join(str(v) for v in self._version_numbers(name)) or "none"
            raise NotFoundError(f"Model {name!r} has no version {version} (versions: {have}).")
        return path

    def _version_numbers(self, name: str) -> list[int]:
        versions = self._model_dir(name) / "versions"
        if not versions.is_dir():
            return []
        return sorted(int(e.name) for e in os.scandir(versions)
                      if e.name.isdigit() and os.path.isfile(os.path.join(e.path, "version.json")))

    @contextmanager
    def _locked(self, name: str) -> Iterator[Path]:
        from filelock import FileLock, Timeout

        self._ensure()
        path = self._model_dir(name)
        path.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path / ".lock"), timeout=LOCK_TIMEOUT_S)
        try:
            with lock:
                yield path
        except Timeout as exc:
            raise StoreError(f"Timed out after {LOCK_TIMEOUT_S:.0f}s waiting for the registry "
                             f"lock {path / '.lock'}; another process holds it. If none does, "
                             "delete the lock file.") from exc

    def _discard(self, path: Path) -> None:
        """Make ``path`` disappear in one rename, then delete it at leisure."""
        trash = self.staging_dir() / f"deleted-{uuid.uuid4().hex}"
        os.rename(path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    # -- records ------------------------------------------------------------------------------
    def _aliases(self, name: str) -> dict[str, int]:
        data = _read_json(self._model_dir(name) / "aliases.json", {})
        return {str(k): int(v) for k, v in data.items()}

    def _read_version(self, path: Path, aliases: Mapping[str, int]) -> ModelVersion:
        mv = ModelVersion.from_dict(_read_json(path / "version.json"))
        mv.aliases = sorted(a for a, v in aliases.items() if v == mv.version)
        return mv

    # -- the registry part of the Store contract ---------------------------------------------
    def create_model_version(self, draft: ModelVersion, model_dir: Path) -> ModelVersion:
        name = check_model_name(draft.name)
        self._ensure()
        tmp = self.staging_dir() / f"version-{uuid.uuid4().hex}"
        try:
            tmp.mkdir()
            shutil.copytree(model_dir, tmp / "model")
            with self._locked(name) as model_path:
                versions = model_path / "versions"
                versions.mkdir(exist_ok=True)
                counter = int((_read_json(model_path / "counter", 0)) or 0)
                number = max([counter, *self._version_numbers(name)]) + 1
                now = now_ms()
                record = ModelVersion.from_dict({**draft.to_dict(), "version": number,
                                                 "created_time": now, "updated_time": now,
                                                 "aliases": []})
                write_json_atomic(tmp / "version.json", record.to_dict())
                info = _read_json(model_path / "model.json") or {
                    "name": name, "created_time": now, "description": "", "tags": {}}
                info["updated_time"] = now
                write_json_atomic(model_path / "model.json", info)
                os.rename(tmp, versions / str(number))
                write_json_atomic(model_path / "counter", number)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"Cannot register a version of {name!r} in {self.root}: {exc}"
                             ) from exc
        return record

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return self._read_version(self._version_dir(name, version), self._aliases(name))

    def search_model_versions(self, name: str | None = None) -> list[ModelVersion]:
        names = [name] if name is not None else [m.name for m in self.search_registered_models()]
        out = []
        for model in names:
            aliases = self._aliases(model)
            base = self._model_dir(model) / "versions"
            for number in self._version_numbers(model):
                try:
                    out.append(self._read_version(base / str(number), aliases))
                except (FileNotFoundError, TypeError):
                    continue  # deleted while we listed
        return out

    def delete_model_version(self, name: str, version: int) -> None:
        with self._locked(name) as model_path:
            path = self._version_dir(name, version)
            self._discard(path)
            aliases = self._aliases(name)
            kept = {a: v for a, v in aliases.items() if v != version}
            if kept != aliases:
                write_json_atomic(model_path / "aliases.json", kept)
            self._touch(model_path)

    def download_model_version(self, name: str, version: int) -> Path:
        version_dir = self._version_dir(name, version)
        path = version_dir / "model"
        if not path.is_dir():
            raise NotFoundError(f"Version {version} of {name!r} has no model folder at {path}.")
        if path.resolve().parent != version_dir.resolve():
            raise StoreError(f"The model folder of version {version} of {name!r} is a symbolic "
                             f"link to {path.resolve()}, outside the store at {self.root}; "
                             "autolog does not follow it.")
        return path

    def get_registered_model(self, name: str) -> RegisteredModel:
        info = _read_json(self._existing_model_dir(name) / "model.json")
        numbers = self._version_numbers(name)
        return RegisteredModel.from_dict({
            **info, "name": name, "aliases": self._aliases(name),
            "latest_version": numbers[-1] if numbers else None, "version_count": len(numbers),
        })

    def search_registered_models(self) -> list[RegisteredModel]:
        models_dir = self.root / "models"
        if not models_dir.is_dir():
            return []
        out = []
        for entry in sorted(os.scandir(models_dir), key=lambda e: e.name):
            if os.path.isfile(os.path.join(entry.path, "model.json")):
                try:
                    out.append(self.get_registered_model(entry.name))
                except (NotFoundError, ValueError):
                    continue  # deleted while we listed, or a folder that is not a model
        return out

    def delete_registered_model(self, name: str) -> None:
        with self._locked(name) as model_path:
            self._existing_model_dir(name)
            if (model_path / "versions").is_dir():
                self._discard(model_path / "versions")
            # The folder keeps `counter` (and `.lock`) so that numbers are never reused.
            for leftover in ("aliases.json", "model.json"):
                (model_path / leftover).unlink(missing_ok=True)

    def set_model_alias(self, name: str, alias: str, version: int) -> None:
        with self._locked(name) as model_path:
            self._version_dir(name, version)
            aliases = self._aliases(name)
            aliases[alias] = int(version)
            write_json_atomic(model_path / "aliases.json", aliases)
            self._touch(model_path)

    def delete_model_alias(self, name: str, alias: str) -> None:
        with self._locked(name) as model_path:
            self._existing_model_dir(name)
            aliases = self._aliases(name)
            if alias not in aliases:
                known = ", ".join(sorted(aliases)) or "none"
                raise NotFoundError(f"Model {name!r} has no alias {alias!r} (aliases: {known}).")
            del aliases[alias]
            write_json_atomic(model_path / "aliases.json", aliases)
            self._touch(model_path)

    def update_registered_model(self, name: str, *, description: str | None = None,
                                tags: Mapping[str, str] | None = None,
                                delete_tags: Iterable[str] = ()) -> RegisteredModel:
        with self._locked(name) as model_path:
            self._existing_model_dir(name)
            info = _read_json(model_path / "model.json")
            _apply(info, description, tags, delete_tags)
            write_json_atomic(model_path / "model.json", info)
        return self.get_registered_model(name)

    def update_model_version(self, name: str, version: int, *, description: str | None = None,
                             tags: Mapping[str, str] | None = None,
                             delete_tags: Iterable[str] = ()) -> ModelVersion:
        with self._locked(name):
            path = self._version_dir(name, version) / "version.json"
            record = _read_json(path)
            _apply(record, description, tags, delete_tags)
            write_json_atomic(path, record)
        return self.get_model_version(name, version)

    def _touch(self, model_path: Path) -> None:
        info = _read_json(model_path / "model.json")
        if info is not None:
            info["updated_time"] = now_ms()
            write_json_atomic(model_path / "model.json", info)


def _apply(record: dict[str, Any], description: str | None, tags: Mapping[str, str] | None,
           delete_tags: Iterable[str]) -> None:
    if description is not None:
        record["description"] = str(description)
    merged = dict(record.get("tags") or {})
    merged.update({str(k): str(v) for k, v in (tags or {}).items()})
    for key in delete_tags:
        merged.pop(key, None)
    record["tags"] = merged
    record["updated_time"] = now_ms()
