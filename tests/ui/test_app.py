"""The UI app through Flask's test client (real WSGI requests, real store, no browser)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from autolog import registry
from autolog.runs import FAILED, FINISHED, Metric, RunInfo, new_run_id
from autolog.stores.base import Store
from autolog.stores.local import LocalStore
from autolog.ui.app import create_app
from autolog.ui.listing import FilterError, RunReader, list_runs, parse_filter


def _client(path: Path, **kwargs: Any) -> Any:
    return create_app(LocalStore(path), **kwargs).test_client()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _run_ids(html: str) -> list[str]:
    return re.findall(r'data-run-id="([0-9a-f]+)"', html)


@pytest.fixture
def many_runs(tmp_path: Path) -> tuple[LocalStore, list[str]]:
    """120 runs written through the store API: metric ``m`` = i, param ``p`` = i % 3."""
    store = LocalStore(tmp_path / "many")
    ids = []
    for i in range(120):
        run_id = new_run_id()
        store.create_run(RunInfo(run_id, "big" if i % 2 else "small", f"run-{i:03d}",
                                 start_time=1_700_000_000_000 + i))
        store.log_batch(run_id, params={"p": str(i % 3)},
                        metrics=[Metric("m", float(i), 0, 1)] if i % 10 else [])
        store.update_run(run_id, FAILED if i % 7 == 0 else FINISHED, 1_700_000_100_000 + i)
        ids.append(run_id)
    return store, ids


def test_pages_render(fresh_store: tuple[Path, dict[str, str]]) -> None:
    path, ids = fresh_store
    client = _client(path)
    for url in ["/", "/runs", f"/runs/{ids['tree']}", "/models", "/runs?experiment=iris"]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:500])
        assert "Content-Security-Policy" in response.headers
    page = client.get(f"/runs/{ids['tree']}").get_data(as_text=True)
    assert "DecisionTreeClassifier" in page and "max_depth" in page and 'id="mlmodel"' in page


def test_unknown_run_and_model_are_404_pages(fresh_store: tuple[Path, dict[str, str]]) -> None:
    client = _client(fresh_store[0])
    response = client.get("/runs/" + "0" * 32)
    assert response.status_code == 404
    assert "No run" in response.get_data(as_text=True)
    assert client.get("/models/nope").status_code == 404


def test_pagination_sort_and_filter(many_runs: tuple[LocalStore, list[str]]) -> None:
    store, ids = many_runs
    client = create_app(store, page_size=50).test_client()
    page3 = client.get("/runs?page=3").get_data(as_text=True)
    assert "120 runs, page 3 of 3" in page3
    assert _run_ids(page3) == list(reversed(ids))[100:]  # newest first

    ascending = _run_ids(client.get("/runs?sort=metrics.m&order=asc").get_data(as_text=True))
    assert ascending[:3] == [ids[1], ids[2], ids[3]]  # run 0 has no metric m
    last = client.get("/runs?sort=metrics.m&order=asc&page=3").get_data(as_text=True)
    # runs without the value come last, newest first
    assert _run_ids(last)[-12:] == [ids[i] for i in range(110, -1, -10)]

    page = client.get("/runs?filter=metrics.m >= 100 and params.p = 1&experiment=small"
                      ).get_data(as_text=True)
    expected = [i for i in range(100, 120) if i % 3 == 1 and i % 2 == 0 and i % 10]
    assert sorted(_run_ids(page)) == sorted(ids[i] for i in expected)

    failed = client.get("/runs?status=FAILED&q=run-0").get_data(as_text=True)
    assert sorted(_run_ids(failed)) == sorted(ids[i] for i in range(0, 100, 7))
    failed = client.get("/runs?filter=status = failed and name ~ RUN-0").get_data(as_text=True)
    assert sorted(_run_ids(failed)) == sorted(ids[i] for i in range(0, 100, 7))


def _counting(root: Path, reads: list[str], indexed: bool) -> LocalStore:
    """A local store that notes every run it reads (and keeps no index unless ``indexed``)."""

    class Counting(LocalStore):
        def get_run(self, run_id: str) -> Any:
            reads.append(run_id)
            return super().get_run(run_id)

        def run_index(self) -> Any:  # without it: the path of stores that keep no index
            return super().run_index() if indexed else None

    return Counting(root)


def test_listing_reads_only_the_shown_page(many_runs: tuple[LocalStore, list[str]]) -> None:
    store, _ = many_runs
    reads: list[str] = []
    counting = _counting(store.root, reads, indexed=False)
    reader = RunReader(counting)
    listing = list_runs(counting, reader, page=2, page_size=20)
    assert len(listing.runs) == 20 and len(reads) == 20 and not listing.read_all
    reads.clear()
    list_runs(counting, reader, sort="metrics.m", page=1, page_size=20)
    assert len(reads) == 120 - 20  # every run once; the page-2 runs were already read
    reads.clear()
    list_runs(counting, reader, filter_text="metrics.m > 50", page=3, page_size=20)
    assert reads == []  # finished runs are not read again


class _NoIndex(LocalStore):
    def run_index(self) -> None:
        return None


@pytest.mark.parametrize("query", [
    {}, {"page": 2, "page_size": 20}, {"page": 99}, {"experiment": "big"},
    {"status": "FAILED"}, {"text": "RUN-01"}, {"sort": "name", "descending": False},
    {"sort": "status"}, {"sort": "duration", "descending": False}, {"sort": "experiment"},
    {"sort": "metrics.m"}, {"sort": "metrics.m", "descending": False, "page": 3},
    {"sort": "params.p"}, {"sort": "tags.t", "descending": False},
    {"filter_text": "metrics.m > 50"}, {"filter_text": "metrics.m >= 100 and params.p = 1"},
    {"filter_text": "params.p != 1"}, {"filter_text": "metrics.m != 30"},
    {"filter_text": "params.p ~ 2", "sort": "metrics.m"}, {"filter_text": "tags.t = x1"},
    {"filter_text": "name ~ run-1 and status = finished"}, {"filter_text": "metrics.m < 1e1"},
    {"filter_text": "model = LinearModel"}, {"filter_text": "params.p > a"},
])
def test_the_index_lists_what_reading_every_run_lists(
        many_runs: tuple[LocalStore, list[str]], query: dict[str, Any]) -> None:
    """The SQLite index and the reading of the run folders give the same page."""
    store, ids = many_runs
    for i, run_id in enumerate(ids[:40]):  # tags, some numeric, for tag sorts and filters
        store.log_batch(run_id, tags={"t": f"x{i % 4}" if i % 5 else str(i),
                                      **({"autolog.model_class": "LinearModel"}
                                         if i % 6 == 0 else {})})
    plain = _NoIndex(store.root)
    expected = list_runs(plain, RunReader(plain), **query)
    got = list_runs(store, RunReader(store), **query)
    assert [r.run_id for r in got.runs] == [r.run_id for r in expected.runs]
    assert [(r.params, r.metrics, r.tags, r.info) for r in got.runs] == [
        (r.params, r.metrics, r.tags, r.info) for r in expected.runs]
    assert (got.total, got.page, got.pages, got.experiments, got.metric_columns,
            got.param_columns) == (expected.total, expected.page, expected.pages,
                                   expected.experiments, expected.metric_columns,
                                   expected.param_columns)


def test_the_index_reads_no_run_and_follows_every_writer(
        many_runs: tuple[LocalStore, list[str]], tmp_path: Path) -> None:
    store, ids = many_runs
    reads: list[str] = []
    counting = _counting(store.root, reads, indexed=True)
    listing = list_runs(counting, RunReader(counting), sort="metrics.m", page=2, page_size=20)
    assert reads == [] and len(listing.runs) == 20
    # Another process's writes: a metric logged, a run ended, a new run, a run removed.
    other = LocalStore(store.root)
    other.log_batch(ids[5], metrics=[Metric("m", 1e6, 1, 2)])
    new = RunInfo(new_run_id(), "big", "run-new", start_time=1_800_000_000_000)
    other.create_run_with(new, metrics=[Metric("m", -5.0, 0, 1)])
    top = list_runs(counting, RunReader(counting), sort="metrics.m", page_size=3)
    assert [r.run_id for r in top.runs][0] == ids[5] and top.total == 121
    import shutil

    shutil.rmtree(store.root / "runs" / ids[7])  # by hand: only the runs folder tells
    assert list_runs(counting, RunReader(counting)).total == 120
    first = list_runs(counting, RunReader(counting), page_size=1)
    assert first.runs[0].run_id == new.run_id and first.runs[0].status == "RUNNING"
    other.update_run(new.run_id, FINISHED, 1_800_000_000_500)
    first = list_runs(counting, RunReader(counting), page_size=1)
    assert first.runs[0].status == FINISHED
    # The index file gone or damaged: rebuilt from the folders.
    index_file = store.root / ".index" / "runs-v1.sqlite"
    counting.run_index().close()
    index_file.write_bytes(b"not a database")
    for suffix in ("-wal", "-shm"):
        (store.root / ".index" / f"runs-v1.sqlite{suffix}").unlink(missing_ok=True)
    again = _counting(store.root, reads, indexed=True)
    assert list_runs(again, RunReader(again)).total == 120
    assert reads == []


def test_search_run_infos_matches_the_default(many_runs: tuple[LocalStore, list[str]]) -> None:
    store, _ = many_runs
    for experiment in (None, "big", "absent"):
        fast = store.search_run_infos(experiment)
        assert fast == Store.search_run_infos(store, experiment)
        assert fast == [r.info for r in store.search_runs(experiment)]


def test_filter_errors_are_explained(fresh_store: tuple[Path, dict[str, str]]) -> None:
    client = _client(fresh_store[0])
    page = client.get("/runs?filter=metrics.acc >>> 1").get_data(as_text=True)
    assert "Cannot read the filter clause" in page and "metrics.acc &gt;&gt;&gt; 1" in page
    page = client.get("/runs?filter=colour = red").get_data(as_text=True)
    assert "Unknown filter field" in page
    page = client.get("/runs?sort=banana").get_data(as_text=True)
    assert "Cannot sort by" in page
    with pytest.raises(FilterError):
        parse_filter("metrics.x")
    assert parse_filter('params.`my key` ~ "a b"')[0].key == "my key"


def test_save_refuses_without_the_form_token(fresh_store: tuple[Path, dict[str, str]]) -> None:
    path, ids = fresh_store
    client = _client(path)
    response = client.post(f"/runs/{ids['tree']}/save", data={"mode": "new", "new_name": "x"})
    assert response.status_code == 403
    token = _token(client.get(f"/runs/{ids['tree']}").get_data(as_text=True))
    response = client.post(f"/runs/{ids['tree']}/save",
                           data={"mode": "new", "new_name": "x", "csrf_token": token},
                           headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert registry.list_models(store=LocalStore(path)) == []


def test_foreign_host_header_is_refused(fresh_store: tuple[Path, dict[str, str]]) -> None:
    client = _client(fresh_store[0])
    assert client.get("/", headers={"Host": "attacker.example:5050"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost:5050"}).status_code == 200
    assert client.get("/", headers={"Host": "[::1]:5050"}).status_code == 200
    open_client = _client(fresh_store[0], allowed_hosts=None)
    assert open_client.get("/", headers={"Host": "box.lan:5050"}).status_code == 200


def test_save_alias_and_their_errors(fresh_store: tuple[Path, dict[str, str]]) -> None:
    path, ids = fresh_store
    store = LocalStore(path)
    client = _client(path)
    token = _token(client.get(f"/runs/{ids['tree']}").get_data(as_text=True))

    def save(run: str, **form: str) -> Any:
        return client.post(f"/runs/{ids[run]}/save", data={"csrf_token": token, **form},
                           follow_redirects=True)

    page = save("tree", mode="new", new_name="bad/name").get_data(as_text=True)
    assert "Invalid model name" in page
    page = save("tree", mode="new", new_name="trees", description="first").get_data(as_text=True)
    assert "version 1 of &#39;trees&#39;" in page
    page = save("logreg-C0.1", mode="new", new_name="trees").get_data(as_text=True)
    assert "already exists" in page
    assert [v.version for v in registry.list_versions("trees", store=store)] == [1]
    page = save("logreg-C0.1", mode="existing", existing_name="trees").get_data(as_text=True)
    assert "version 2 of" in page
    assert registry.get_model_version("trees", 1, store=store).description == "first"

    response = client.post("/models/trees/aliases", follow_redirects=True,
                           data={"csrf_token": token, "alias": "latest", "version": "1"})
    assert "Invalid alias" in response.get_data(as_text=True)
    client.post("/models/trees/aliases", data={"csrf_token": token, "alias": "prod",
                                               "version": "1", "next": "//evil.example/"})
    assert registry.get_registered_model("trees", store=store).aliases == {"prod": 1}
    client.post("/models/trees/aliases/prod/delete", data={"csrf_token": token})
    assert registry.get_registered_model("trees", store=store).aliases == {}

    page = client.get("/models/trees/compare?v=2").get_data(as_text=True)
    assert ">v2<" in page and ">v1<" not in page.split('id="comparison"')[1]


def test_files_are_text_or_downloads_never_pages(fresh_store: tuple[Path, dict[str, str]]
                                                 ) -> None:
    path, ids = fresh_store
    client = _client(path)
    base = f"/runs/{ids['tree']}/files/model"
    mlmodel = client.get(f"{base}/MLmodel")
    assert mlmodel.status_code == 200 and mlmodel.mimetype == "text/plain"
    assert "flavors:" in mlmodel.get_data(as_text=True)
    pickle = client.get(f"{base}/model.pkl")
    assert pickle.mimetype == "application/octet-stream"
    assert pickle.headers["Content-Disposition"].startswith("attachment")
    for bad in (f"{base}/../../run.json", f"{base}/..%2F..%2Frun.json",
                f"/runs/{ids['tree']}/files/../params.json"):
        assert client.get(bad).status_code in (400, 404), bad


def test_chart_library_ships_inside_the_package(fresh_store: tuple[Path, dict[str, str]]
                                                ) -> None:
    import autolog.ui

    static = Path(autolog.ui.__file__).parent / "static"
    assert "MIT License" in (static / "uPlot.LICENSE").read_text()
    client = _client(fresh_store[0])
    page = client.get("/").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert "/static/uPlot.iife.min.js" in assets and "/static/charts.js" in assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "http" not in " ".join(assets)  # nothing from a CDN
