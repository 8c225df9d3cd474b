"""The MLflow store: runs in an MLflow tracking server (``http(s)://`` or ``mlflow+http(s)://``).

This module is imported only when such a URI is used; it is the only place that imports the
MLflow client. The result is ordinary MLflow data, so MLflow's own tools read it:
``mlflow.pyfunc.load_model("runs:/<mlflow_run_id>/model")`` loads an autologged model.

How autolog's records map onto MLflow's:

=========================  =================================================================
autolog                    MLflow
=========================  =================================================================
run id (32 hex)            tag ``autolog.run_id``; MLflow assigns its own run id. Every method
                           accepts either id; runs read back carry autolog's id.
experiment (a name)        experiment of that name, created on first use
name, status, start, end   the run's info
parent run                 tag ``autolog.parent_run_id`` and MLflow's ``mlflow.parentRunId``
host, pid                  tags ``autolog.run_host``, ``autolog.run_pid``
params, metrics, tags      ``log_batch`` (metric steps and timestamps kept)
artifacts, model folder    the run's artifacts; a model folder is the ``model`` artifact
registry                   MLflow's model registry (see :mod:`autolog.stores.mlflow_registry`)
=========================  =================================================================

The mapping tags are hidden from :attr:`Run.tags`. A run read by :meth:`MLflowStore.get_run`
has its metric history, artifact names and ``model_path`` (``runs:/<mlflow_run_id>/model``);
runs from :meth:`MLflowStore.search_runs` have the latest metric values only (one request per
metric would be needed for the history).

Network: MLflow's HTTP layer retries each request on connection errors, 429 and 5xx
(``MLFLOW_HTTP_REQUEST_MAX_RETRIES``, ``MLFLOW_HTTP_REQUEST_TIMEOUT``); on top of it each
store operation is retried by a bounded :class:`~autolog.stores.retry.RetryPolicy` (errors
cut short mid-response included). A failure that persists is a
:class:`~autolog.errors.StoreUnavailableError`; :meth:`MLflowStore.ping` checks reachability
with one short request and no retries. Artifact stores have no rename, so a folder is uploaded
file by file with its ``MLmodel`` last: a reader never sees an ``MLmodel`` whose files are
missing.
"""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import Param, RunStatus, RunTag, ViewType
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from autolog.errors import AutologError, NotFoundError, StoreError, StoreUnavailableError
from autolog.runs import Metric, Run, RunInfo
from autolog.stores.base import DatasetInput, Store
from autolog.stores.mlflow_artifacts import MLflowArtifactsMixin
from autolog.stores.mlflow_errors import error_code, is_transient, translate
from autolog.stores.mlflow_registry import MLflowRegistryMixin
from autolog.stores.names import check_run_id
from autolog.stores.retry import RetryPolicy

__all__ = ["HIDDEN_TAGS", "RUN_ID_TAG", "MLflowStore", "tracking_uri_of"]

T = TypeVar("T")

RUN_ID_TAG = "autolog.run_id"
PARENT_TAG = "autolog.parent_run_id"
HOST_TAG = "autolog.run_host"
PID_TAG = "autolog.run_pid"
HIDDEN_TAGS = frozenset({RUN_ID_TAG, PARENT_TAG, HOST_TAG, PID_TAG, "mlflow.runName",
                         "mlflow.parentRunId"})
_PAGE = 1000


def tracking_uri_of(uri: str) -> str:
    """The MLflow tracking URI of a store URI (``mlflow+https://h`` -> ``https://h``)."""
    return uri[len("mlflow+"):] if uri.lower().startswith("mlflow+") else uri


class MLflowStore(MLflowRegistryMixin, MLflowArtifactsMixin, Store):
    """Runs kept by an MLflow tracking server. See the module docstring for the mapping; the
    registry part is in :mod:`autolog.stores.mlflow_registry`, the artifacts part in
    :mod:`autolog.stores.mlflow_artifacts`.

    Parameters:
        uri: ``http(s)://host[:port][/prefix]``, optionally prefixed ``mlflow+``.
        retry: how store operations are retried on transient errors.
    """

    #: open_store() wraps remote stores so that runs go to a local store while offline.
    remote = True
    #: Seconds the reachability probe waits for an answer.
    ping_timeout_s = 3

    def __init__(self, uri: str, retry: RetryPolicy | None = None) -> None:
        self.uri = uri
        self.tracking_uri = tracking_uri_of(uri)
        self.retry = retry or RetryPolicy()
        self.client = MlflowClient(tracking_uri=self.tracking_uri,
                                   registry_uri=self.tracking_uri)
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}  # autolog run id (or MLflow's) -> MLflow run id
        # Artifact paths of the runs this instance created: no listing needed to keep them
        # write-once (one request fewer per upload).
        self._artifacts: dict[str, set[str]] = {}
        self._experiment_ids: dict[str, str] = {}
        self._experiment_names: dict[str, str] = {}
        # Artifact locations of the runs this instance created (MLflow run id -> URI).
        self._repos: dict[str, str] = {}

    # -- plumbing -----------------------------------------------------------------------------
    def _rest_store(self) -> Any:
        # MlflowClient has no public call that sets a run's end time without printing a
        # "View run at" link to stdout; its tracking store (an AbstractStore) has one.
        return self.client._tracking_client.store

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` with retries; MLflow's errors become autolog's."""
        import requests

        try:
            return self.retry.call(lambda: fn(*args, **kwargs), is_transient)
        except AutologError:
            raise
        except (MlflowException, requests.RequestException, OSError) as exc:
            raise self._translate(exc, what) from exc

    def _translate(self, exc: BaseException, what: str) -> AutologError:
        return translate(exc, what, self.tracking_uri)

    def ping(self) -> None:
        """Check that the server answers, with one short request and no retries.

        Raises:
            StoreUnavailableError: no HTTP answer within :attr:`ping_timeout_s` seconds.
        """
        from mlflow.utils.rest_utils import http_request

        try:
            http_request(  # type: ignore[no-untyped-call]
                self._rest_store().get_host_creds(), "/health", "GET", max_retries=0,
                timeout=self.ping_timeout_s, raise_on_status=False)
        except MlflowException as exc:
            raise StoreUnavailableError(
                f"The MLflow tracking server {self.tracking_uri} cannot be reached: {exc}"
            ) from exc

    # -- experiments ---------------------------------------------------------------------------
    def _experiment_id(self, name: str, create: bool) -> str | None:
        cached = self._experiment_ids.get(name)
        if cached is not None:
            return cached
        exp = self._call(f"looking up experiment {name!r}", self.client.get_experiment_by_name,
                         name)
        if exp is None:
            if not create:
                return None
            try:
                exp_id = self._call(f"creating experiment {name!r}",
                                    self.client.create_experiment, name)
            except StoreError as exc:  # another process created it first
                if error_code(exc) != "RESOURCE_ALREADY_EXISTS":
                    raise
                exp = self._call(f"looking up experiment {name!r}",
                                 self.client.get_experiment_by_name, name)
                exp_id = exp.experiment_id
        elif exp.lifecycle_stage == "deleted":
            raise StoreError(f"The experiment {name!r} is deleted in the MLflow tracking server "
                             f"{self.tracking_uri}; restore it there or log to another "
                             "experiment (option 'experiment').")
        else:
            exp_id = exp.experiment_id
        exp_id = str(exp_id)
        with self._lock:
            self._experiment_ids[name] = exp_id
            self._experiment_names[exp_id] = name
        return exp_id

    def _experiment_name(self, exp_id: str) -> str:
        name = self._experiment_names.get(exp_id)
        if name is None:
            name = self._call("reading an experiment", self.client.get_experiment, exp_id).name
            with self._lock:
                self._experiment_names[exp_id] = name
        return name

    def _experiments(self) -> list[Any]:
        out: list[Any] = []
        token = None
        while True:
            page = self._call("listing experiments", self.client.search_experiments,
                              view_type=ViewType.ACTIVE_ONLY, max_results=_PAGE, page_token=token)
            out.extend(page)
            token = page.token
            if not token:
                break
        with self._lock:
            for exp in out:
                self._experiment_ids[exp.name] = exp.experiment_id
                self._experiment_names[exp.experiment_id] = exp.name
        return out

    # -- run ids -------------------------------------------------------------------------------
    def _find(self, run_id: str, experiment_ids: list[str] | None = None) -> str | None:
        """The MLflow id of the run tagged with autolog id ``run_id``, if any."""
        cached = self._ids.get(check_run_id(run_id))
        if cached is not None:
            return cached
        exp_ids = experiment_ids or [e.experiment_id for e in self._experiments()]
        return self._call("looking up a run", self._search_tag, run_id, exp_ids)

    def _search_tag(self, run_id: str, exp_ids: list[str]) -> str | None:
        """One search request, no retries (for use inside a retried operation)."""
        if not exp_ids:
            return None
        found = self.client.search_runs(exp_ids, f"tags.`{RUN_ID_TAG}` = '{run_id}'",
                                        ViewType.ACTIVE_ONLY, 1)
        if not found:
            return None
        with self._lock:
            self._ids[run_id] = found[0].info.run_id
        return found[0].info.run_id  # type: ignore[no-any-return]

    def mlflow_run_id(self, run_id: str) -> str:
        """MLflow's id of a run given autolog's id (or MLflow's own).

        Raises:
            NotFoundError: the server has no such run.
        """
        mlflow_id = self._find(run_id)
        if mlflow_id is not None:
            return mlflow_id
        try:
            run = self._call(f"reading run {run_id}", self.client.get_run, run_id)
        except (NotFoundError, StoreError) as exc:
            if isinstance(exc, StoreUnavailableError):
                raise
            raise NotFoundError(f"No run {run_id!r} in the MLflow tracking server "
                                f"{self.tracking_uri}.") from exc
        if run.info.lifecycle_stage == "deleted":
            raise NotFoundError(f"Run {run_id!r} is deleted in the MLflow tracking server "
                                f"{self.tracking_uri}.")
        with self._lock:
            self._ids[run_id] = run.info.run_id
        return run.info.run_id  # type: ignore[no-any-return]

    # -- required: runs ------------------------------------------------------------------------
    def create_run(self, info: RunInfo) -> None:
        check_run_id(info.run_id)
        exp_id = self._experiment_id(info.experiment, create=True)
        assert exp_id is not None
        tags = {RUN_ID_TAG: info.run_id, HOST_TAG: info.host, PID_TAG: str(info.pid)}
        if info.parent_run_id:
            tags[PARENT_TAG] = info.parent_run_id
            parent = self._find(info.parent_run_id)
            if parent is not None:
                tags["mlflow.parentRunId"] = parent
        if info.run_id in self._ids:
            raise StoreError(f"Run {info.run_id} already exists in the MLflow tracking server "
                             f"{self.tracking_uri}.")
        attempted = False

        def create() -> Any:
            nonlocal attempted
            if attempted:  # a retried create may find the run its lost first attempt made
                existing = self._search_tag(info.run_id, [exp_id])
                if existing is not None:
                    return existing
            attempted = True
            return self.client.create_run(exp_id, start_time=info.start_time, tags=tags,
                                          run_name=info.name or None).info

        created = self._call(f"creating run {info.run_id}", create)
        mlflow_id = created if isinstance(created, str) else created.run_id
        with self._lock:
            self._ids[info.run_id] = mlflow_id
            self._artifacts[mlflow_id] = set()
            if not isinstance(created, str):  # uploads need no request to find the location
                self._repos[mlflow_id] = created.artifact_uri
        if info.status != RunStatus.to_string(RunStatus.RUNNING) or info.end_time is not None:
            self.update_run(info.run_id, info.status, info.end_time)

    def update_run(self, run_id: str, status: str, end_time: int | None) -> None:
        mlflow_id = self.mlflow_run_id(run_id)
        self._call(f"updating run {run_id}", lambda: self._rest_store().update_run_info(
            mlflow_id, run_status=RunStatus.from_string(status), end_time=end_time,
            run_name=None))

    def log_batch(self, run_id: str, params: Mapping[str, str] = {},  # noqa: B006
                  metrics: Iterable[Metric] = (), tags: Mapping[str, str] = {}  # noqa: B006
                  ) -> None:
        metric_list = [MlflowMetric(m.key, float(m.value), int(m.timestamp), int(m.step))
                       for m in metrics]
        if not (params or tags or metric_list):
            return
        mlflow_id = self.mlflow_run_id(run_id)
        # MLflow's client splits the batch to fit the server's limits (100 params/tags, 1000
        # metrics per request); the server ignores a metric value logged twice, so a retried
        # batch adds nothing.
        self._call(f"logging to run {run_id}", self.client.log_batch, mlflow_id,
                   metrics=metric_list,
                   params=[Param(str(k), str(v)) for k, v in params.items()],
                   tags=[RunTag(str(k), str(v)) for k, v in tags.items()],
                   synchronous=True)

    def get_run(self, run_id: str) -> Run:
        mlflow_id = self.mlflow_run_id(run_id)
        run = self._call(f"reading run {run_id}", self.client.get_run, mlflow_id)
        return self._to_run(run, full=True)

    def search_runs(self, experiment: str | None = None, max_results: int | None = None
                    ) -> list[Run]:
        if experiment is None:
            exp_ids = [e.experiment_id for e in self._experiments()]
        else:
            exp_id = self._experiment_id(experiment, create=False)
            exp_ids = [exp_id] if exp_id is not None else []
        if not exp_ids or max_results == 0:
            return []
        found: list[Any] = []
        token = None
        while max_results is None or len(found) < max_results:
            size = _PAGE if max_results is None else min(_PAGE, max_results - len(found))
            page = self._call("searching runs", self.client.search_runs, exp_ids, "",
                              ViewType.ACTIVE_ONLY, size,
                              ["attributes.start_time DESC"], token)
            found.extend(page)
            token = page.token
            if not token:
                break
        return [self._to_run(r, full=False) for r in found]

    def list_experiments(self) -> list[str]:
        names = []
        for exp in self._experiments():
            if self._call("searching runs", self.client.search_runs, [exp.experiment_id], "",
                          ViewType.ACTIVE_ONLY, 1):
                names.append(exp.name)
        return sorted(names)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """The datasets as MLflow run inputs (``code`` source type, tag
        ``mlflow.data.context``), shown in MLflow's UI with the run."""
        from mlflow.entities import Dataset, InputTag
        from mlflow.entities import DatasetInput as MlflowDatasetInput

        mlflow_id = self.mlflow_run_id(run_id)
        inputs = [MlflowDatasetInput(Dataset(name=d.name, digest=d.digest, source_type="code",
                                             source=d.source, schema=d.schema,
                                             profile=d.profile),
                                     tags=[InputTag("mlflow.data.context", d.context)])
                  for d in datasets]
        self._call(f"logging the inputs of run {run_id}", self.client.log_inputs, mlflow_id,
                   inputs)

    # -- beyond the contract -------------------------------------------------------------------
    def delete_run(self, run_id: str) -> None:
        """Delete a run (MLflow keeps it in its trash until garbage collection)."""
        mlflow_id = self.mlflow_run_id(run_id)
        self._call(f"deleting run {run_id}", self.client.delete_run, mlflow_id)
        with self._lock:
            for key in [k for k, v in self._ids.items() if v == mlflow_id]:
                del self._ids[key]

    def _to_run(self, run: Any, full: bool) -> Run:
        mlflow_id = run.info.run_id
        tags = dict(run.data.tags)
        run_id = tags.get(RUN_ID_TAG) or mlflow_id
        with self._lock:
            self._ids.setdefault(run_id, mlflow_id)
        info = RunInfo(
            run_id=run_id,
            experiment=self._experiment_name(run.info.experiment_id),
            name=run.info.run_name or "",
            status=run.info.status,
            start_time=run.info.start_time or 0,
            end_time=run.info.end_time,
            parent_run_id=tags.get(PARENT_TAG) or tags.get("mlflow.parentRunId"),
            host=tags.get(HOST_TAG, ""),
            pid=int(tags.get(PID_TAG) or 0),
        )
        result = Run(info=info, params=dict(run.data.params), metrics=dict(run.data.metrics),
                     tags={k: v for k, v in tags.items() if k not in HIDDEN_TAGS})
        if full:
            for key in result.metrics:
                values = self._call(f"reading metric {key!r}", self.client.get_metric_history,
                                    mlflow_id, key)
                history = sorted((Metric(m.key, m.value, m.step, m.timestamp) for m in values),
                                 key=lambda m: (m.step, m.timestamp))
                result.metric_history[key] = history
                if history:
                    result.metrics[key] = history[-1].value
            entries = self._call("listing artifacts", self.client.list_artifacts, mlflow_id)
            result.artifacts = sorted(posixpath.basename(e.path) for e in entries)
            if "model" in result.artifacts and self._exists(mlflow_id, "model/MLmodel"):
                result.model_path = f"runs:/{mlflow_id}/model"
        return result
