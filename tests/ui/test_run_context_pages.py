"""Where users look: ``autolog runs show``, the UI's run page and the compare view show a
run's source, machine and system metrics, and flag versions trained from different commits.

The store is made by a real script in a real git repository: version 1 from a clean first
commit, version 2 from a second commit with uncommitted changes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from autolog import registry
from autolog.cli import cli
from autolog.stores.local import LocalStore
from autolog.ui.app import create_app
from tests.helpers import git, make_git_repo

TRAIN = """\
import sys, time
import autolog
from settings import C
autolog.enable(store=sys.argv[1], registered_model_name="iris", log_system_metrics="on")
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
with autolog.start_run(name=f"C={C}"):
    LogisticRegression(C=C, max_iter=300).fit(X, y)
    time.sleep(0.6)  # long enough for a start and an end sample
"""


@pytest.fixture(scope="module")
def two_commits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Runs of two commits (the second dirty) registered as versions 1 and 2 of 'iris'."""
    root = tmp_path_factory.mktemp("context")
    repo, store = root / "proj", root / "store"
    first = make_git_repo(repo, {"train.py": TRAIN, "settings.py": "C = 1.0\n"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}

    def train() -> None:
        done = subprocess.run([sys.executable, str(repo / "train.py"), str(store)], env=env,
                              cwd=root, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    train()
    (repo / "settings.py").write_text("C = 0.5\n")
    git(repo, "commit", "--quiet", "--all", "-m", "C = 0.5")
    second = git(repo, "rev-parse", "HEAD")
    (repo / "settings.py").write_text("C = 0.2  # trying\n")
    train()
    versions = {v.version: v for v in registry.list_versions("iris", store=str(store))}
    return {"store": str(store), "repo": str(repo), "first": first, "second": second,
            "run1": str(versions[1].run_id), "run2": str(versions[2].run_id)}


def test_runs_show_has_source_machine_and_system_metrics(two_commits: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["runs", "show", "--store", two_commits["store"],
                                      two_commits["run2"]])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"source: {two_commits['repo']}/train.py (script)" in out
    assert f"commit {two_commits['second'][:8]} (dirty) on main" in out
    assert f"machine: {os.cpu_count()} CPUs" in out
    assert "code/diff.patch" in out and "environment/pip-freeze.txt" in out
    metrics, system = out.split("\nmetrics:")[1].split("\nsystem metrics:")
    assert "training_accuracy" in metrics and "system/" not in metrics
    assert "cpu_utilization_percentage      2 " in system  # start and end samples
    assert re.search(r"mlflow\.source\.git\.dirty\s+true", out)  # the tags table keeps all


def test_run_page_shows_source_and_system_section(two_commits: dict[str, str]) -> None:
    client = create_app(LocalStore(two_commits["store"])).test_client()
    run_id = two_commits["run2"]
    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    source = page.split('id="source"')[1].split("</section>")[0]
    assert f">{two_commits['second'][:8]}</code>" in source and 'id="source-dirty"' in source
    assert 'id="source-branch">main<' in source
    assert f"{os.cpu_count()} CPUs" in source
    system = page.split('id="system-metrics"')[1].split("</section>")[0]
    charts = json.loads(system.split('id="system-charts-data">')[1].split("</script>")[0])
    assert {c["key"] for c in charts} >= {"cpu_utilization_percentage",
                                          "process_memory_rss_megabytes"}
    metrics_table = page.split('id="metrics"')[1].split("</table>")[0]
    assert "training_accuracy" in metrics_table and "system/" not in metrics_table
    diff = client.get(f"/runs/{run_id}/files/code/diff.patch")
    assert diff.status_code == 200 and "+C = 0.2  # trying" in diff.get_data(as_text=True)
    assert diff.mimetype == "text/plain"
    clean = client.get(f"/runs/{two_commits['run1']}").get_data(as_text=True)
    assert 'id="source-dirty"' not in clean and two_commits["first"][:8] in clean


def test_compare_flags_different_commits_and_a_dirty_tree(two_commits: dict[str, str]
                                                          ) -> None:
    comparison = registry.compare("iris", store=two_commits["store"])
    first, second = two_commits["first"][:8], two_commits["second"][:8]
    assert comparison.source_warnings() == [
        f"Trained from different commits: {first} (v1); {second} (v2).",
        "v2 trained with uncommitted changes (a dirty working tree): the commit alone does "
        "not reproduce it; see the run's code/diff.patch."]
    commit_row = next(r for r in comparison.rows() if r["label"] == "commit")
    assert commit_row["cells"] == [first, f"{second} (dirty)"]
    assert not any(m.startswith("system/") for m in comparison.metric_names)

    text = CliRunner().invoke(cli, ["models", "compare", "--store", two_commits["store"],
                                    "iris"]).output
    assert f"! Trained from different commits: {first} (v1); {second} (v2)." in text
    page = create_app(LocalStore(two_commits["store"])).test_client().get(
        "/models/iris/compare").get_data(as_text=True)
    assert page.count('class="flash flash-warning source-warning"') == 2
    assert f"{second} (dirty)" in page


def test_versions_of_one_clean_commit_are_not_flagged(two_commits: dict[str, str]) -> None:
    only_first = registry.compare("iris", [1], store=two_commits["store"])
    assert only_first.source_warnings() == []
