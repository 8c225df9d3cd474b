"""The registry part of the MLflow store, on MLflow's model registry.

=============================  ==================================================================
autolog                        MLflow model registry
=============================  ==================================================================
registered model               registered model (description, tags, aliases)
version N                      model version N, numbered by the server: atomic, and not
                               reused after a version is deleted (MLflow keeps deleted rows)
version of a run's model       source ``runs:/<mlflow_run_id>/<path>`` when the run is in this
                               server (what ``mlflow.register_model`` does)
version of any other folder    uploaded as an MLflow *logged model*; source ``models:/<id>``
comparison fields              one JSON tag ``autolog.version`` (signature, metrics, params,
                               formats, parity, size, class, run name, experiment, source URI)
=============================  ==================================================================

Deleting a registered model deletes its versions in MLflow for good: a later registration of
the name starts again at version 1 (the local store continues the old numbering).
``mlflow.pyfunc.load_model("models:/<name>/<version>")`` and ``models:/<name>@<alias>`` load
versions made here.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from autolog.errors import NotFoundError, StoreError
from autolog.registry.records import ModelVersion, RegisteredModel

__all__ = ["MLflowRegistryMixin", "RECORD_TAG"]

T = TypeVar("T")

RECORD_TAG = "autolog.version"
_RECORD_FIELDS = ("source", "run_id", "signature", "metrics", "params", "formats",
                  "onnx_parity", "size_bytes", "model_class", "run_name", "experiment", "code")
_PAGE = 1000


def _filter_name(name: str) -> str:
    # Model names cannot contain '"' (registry.check_model_name), so double quotes are safe.
    return f'name = "{name}"'


class MLflowRegistryMixin:
    """Registry methods of the Store contract for :class:`~autolog.stores.mlflow.MLflowStore`."""

    client: Any
    tracking_uri: str
    _call: Callable[..., Any]
    _experiment_id: Callable[[str, bool], str | None]
    _find: Callable[..., str | None]
    _cache_root: Callable[[], Path]

    # -- conversions ---------------------------------------------------------------------------
    def _to_version(self, mv: Any, aliases: Iterable[str] | None = None) -> ModelVersion:
        tags = dict(mv.tags or {})
        record = json.loads(tags.pop(RECORD_TAG, None) or "{}")
        fields = {k: record[k] for k in _RECORD_FIELDS if k in record}
        fields.setdefault("source", mv.source or "")
        fields.setdefault("run_id", mv.run_id or None)
        return ModelVersion(
            name=mv.name, version=int(mv.version), created_time=mv.creation_timestamp or 0,
            updated_time=mv.last_updated_timestamp or 0, description=mv.description or "",
            tags=tags, aliases=sorted(mv.aliases if aliases is None else aliases), **fields)

    def _versions(self, filter_string: str | None) -> list[Any]:
        out: list[Any] = []
        token = None
        while True:
            page = self._call("searching model versions", self.client.search_model_versions,
                              filter_string, _PAGE, None, token)
            out.extend(page)
            token = page.token
            if not token:
                return out

    def _models(self) -> list[Any]:
        out: list[Any] = []
        token = None
        while True:
            page = self._call("listing registered models", self.client.search_registered_models,
                              None, _PAGE, ["name ASC"], token)
            out.extend(page)
            token = page.token
            if not token:
                return out

    def _get_mv(self, name: str, version: int) -> Any:
        try:
            return self._call(f"reading version {version} of model {name!r}",
                              self.client.get_model_version, name, str(version))
        except NotFoundError as exc:
            raise NotFoundError(f"No version {version} of registered model {name!r} in the "
                                f"MLflow tracking server {self.tracking_uri}.") from exc

    def _get_rm(self, name: str) -> Any:
        try:
            return self._call(f"reading registered model {name!r}",
                              self.client.get_registered_model, name)
        except NotFoundError as exc:
            raise NotFoundError(f"No registered model {name!r} in the MLflow tracking server "
                                f"{self.tracking_uri}.") from exc

    def _to_model(self, rm: Any, versions: list[Any]) -> RegisteredModel:
        numbers = [int(v.version) for v in versions]
        return RegisteredModel(
            name=rm.name, created_time=rm.creation_timestamp or 0,
            updated_time=rm.last_updated_timestamp or 0, description=rm.description or "",
            tags=dict(rm.tags or {}),
            aliases={alias: int(v) for alias, v in (rm.aliases or {}).items()},
            latest_version=max(numbers) if numbers else None, version_count=len(numbers))

    # -- writing -------------------------------------------------------------------------------
    def _source_in_server(self, draft: ModelVersion) -> tuple[str, str] | None:
        """``(runs:/<mlflow_id>/<path>, mlflow_id)`` when the draft's run is in this server."""
        if not draft.run_id or not draft.source.startswith("runs:/"):
            return None
        path = draft.source[len("runs:/"):].strip("/").partition("/")[2]
        mlflow_id = self._find(draft.run_id)
        if mlflow_id is None or not path:
            return None
        return f"runs:/{mlflow_id}/{path}", mlflow_id

    def _upload_logged_model(self, draft: ModelVersion, model_dir: Path) -> str:
        """Upload a folder that is not in this server as an MLflow logged model."""
        from mlflow.entities import LoggedModelStatus

        exp_id = self._experiment_id(draft.experiment or "Default", True)
        model = self._call(f"creating a logged model for {draft.name!r}",
                           self.client.create_logged_model, exp_id, draft.name)
        try:
            self._call(f"uploading the model of {draft.name!r}", self.client.log_model_artifacts,
                       model.model_id, str(model_dir))
        except Exception:
            self._call("marking a failed upload", self.client.finalize_logged_model,
                       model.model_id, LoggedModelStatus.FAILED)
            raise
        self._call("finishing the logged model", self.client.finalize_logged_model,
                   model.model_id, LoggedModelStatus.READY)
        return model.model_id  # type: ignore[no-any-return]

    def create_model_version(self, draft: ModelVersion, model_dir: Path) -> ModelVersion:
        name = draft.name
        try:
            self._call(f"creating registered model {name!r}",
                       self.client.create_registered_model, name)
        except StoreError as exc:
            if getattr(exc.__cause__, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
                raise
        record = {k: getattr(draft, k) for k in _RECORD_FIELDS}
        tags = {**draft.tags, RECORD_TAG: json.dumps(record, sort_keys=True, default=str)}
        in_server = self._source_in_server(draft)
        if in_server is not None:
            source, run_id = in_server
            kwargs: dict[str, Any] = {"run_id": run_id}
        else:
            model_id = self._upload_logged_model(draft, Path(model_dir))
            source, kwargs = f"models:/{model_id}", {"model_id": model_id}
        mv = self._call(f"registering a version of {name!r}", self.client.create_model_version,
                        name, source, tags=tags, description=draft.description or None,
                        await_creation_for=0, **kwargs)
        return self._to_version(mv)

    def delete_model_version(self, name: str, version: int) -> None:
        self._get_mv(name, version)
        self._call(f"deleting version {version} of {name!r}", self.client.delete_model_version,
                   name, str(version))

    def delete_registered_model(self, name: str) -> None:
        self._get_rm(name)
        self._call(f"deleting registered model {name!r}", self.client.delete_registered_model,
                   name)

    def set_model_alias(self, name: str, alias: str, version: int) -> None:
        self._get_mv(name, version)
        self._call(f"setting alias {alias!r} of {name!r}",
                   self.client.set_registered_model_alias, name, alias, str(version))

    def delete_model_alias(self, name: str, alias: str) -> None:
        aliases = self._get_rm(name).aliases or {}
        if alias not in aliases:
            known = ", ".join(sorted(aliases)) or "none"
            raise NotFoundError(f"Model {name!r} has no alias {alias!r} (aliases: {known}).")
        self._call(f"deleting alias {alias!r} of {name!r}",
                   self.client.delete_registered_model_alias, name, alias)

    def _apply_tags(self, what: str, set_tag: Callable[[str, str], Any],
                    delete_tag: Callable[[str], Any], present: Mapping[str, str],
                    tags: Mapping[str, str] | None, delete_tags: Iterable[str]) -> None:
        for key, value in (tags or {}).items():
            self._call(f"tagging {what}", set_tag, key, str(value))
        for key in delete_tags:
            if key in present and key != RECORD_TAG:
                self._call(f"untagging {what}", delete_tag, key)

    def update_registered_model(self, name: str, *, description: str | None = None,
                                tags: Mapping[str, str] | None = None,
                                delete_tags: Iterable[str] = ()) -> RegisteredModel:
        rm = self._get_rm(name)
        if description is not None:
            self._call(f"describing {name!r}", self.client.update_registered_model, name,
                       description)
        self._apply_tags(
            f"model {name!r}", lambda k, v: self.client.set_registered_model_tag(name, k, v),
            lambda k: self.client.delete_registered_model_tag(name, k), rm.tags or {}, tags,
            delete_tags)
        return self.get_registered_model(name)

    def update_model_version(self, name: str, version: int, *, description: str | None = None,
                             tags: Mapping[str, str] | None = None,
                             delete_tags: Iterable[str] = ()) -> ModelVersion:
        mv = self._get_mv(name, version)
        if description is not None:
            self._call(f"describing version {version} of {name!r}",
                       self.client.update_model_version, name, str(version), description)
        self._apply_tags(
            f"version {version} of {name!r}",
            lambda k, v: self.client.set_model_version_tag(name, str(version), k, v),
            lambda k: self.client.delete_model_version_tag(name, str(version), k),
            mv.tags or {}, tags, delete_tags)
        return self.get_model_version(name, version)

    # -- reading -------------------------------------------------------------------------------
    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return self._to_version(self._get_mv(name, version))

    def search_model_versions(self, name: str | None = None) -> list[ModelVersion]:
        if name is None:
            aliases = {rm.name: rm.aliases or {} for rm in self._models()}
            found = self._versions(None)
        else:
            try:
                aliases = {name: self._get_rm(name).aliases or {}}
            except NotFoundError:
                return []
            found = self._versions(_filter_name(name))
        # Search results may lack aliases (MLflow's warning); the models have them.
        versions = [self._to_version(mv, [a for a, v in aliases.get(mv.name, {}).items()
                                          if int(v) == int(mv.version)]) for mv in found]
        return sorted(versions, key=lambda v: (v.name, v.version))

    def get_registered_model(self, name: str) -> RegisteredModel:
        rm = self._get_rm(name)
        return self._to_model(rm, self._versions(_filter_name(name)))

    def search_registered_models(self) -> list[RegisteredModel]:
        by_name: dict[str, list[Any]] = {}
        for mv in self._versions(None):
            by_name.setdefault(mv.name, []).append(mv)
        models = [self._to_model(rm, by_name.get(rm.name, [])) for rm in self._models()]
        return sorted(models, key=lambda m: m.name)

    def download_model_version(self, name: str, version: int) -> Path:
        """A local copy of the version's folder, cached by the version's identity."""
        import hashlib

        from mlflow.artifacts import download_artifacts

        mv = self._get_mv(name, version)
        # A deleted-then-recreated name reuses numbers: key the cache by creation time too.
        key = hashlib.sha256(f"{name}\0{version}\0{mv.creation_timestamp}".encode()).hexdigest()
        target = self._cache_root() / "model-versions" / key[:24]
        if target.exists():
            return target
        uri = self._call(f"locating version {version} of {name!r}",
                         self.client.get_model_version_download_uri, name, str(version))
        tmp = self._cache_root() / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir(parents=True)
        try:
            local = self._call(f"downloading version {version} of {name!r}", download_artifacts,
                               artifact_uri=uri, dst_path=str(tmp),
                               tracking_uri=self.tracking_uri)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                Path(local).rename(target)
            except OSError:
                if not target.exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target
