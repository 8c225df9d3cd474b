"""``autolog demo``: train a scikit-learn model with autologging on, show what was recorded."""

from __future__ import annotations

import click

from autolog.cli.common import store_option

__all__ = ["demo"]


@click.command()
@store_option
def demo(store: str | None) -> None:
    """Train a model with autologging on, print the run and its MLmodel, load it, predict."""
    import autolog

    config = autolog.enable(**({"store": store} if store else {}))
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    model = make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(X_train, y_train)
    autolog.flush()
    run = autolog.search_runs(max_results=1)[0]
    click.echo(f"store:        {config.store_uri}")
    click.echo(f"run:          {run}")
    click.echo(f"model folder: {run.model_path}\n")
    click.echo("MLmodel:")
    with open(f"{run.model_path}/MLmodel", encoding="utf-8") as fh:
        click.echo("  " + fh.read().replace("\n", "\n  ").rstrip())
    loaded = autolog.load_model(f"runs:/{run.run_id}/model")
    preds = loaded.predict(X_test.head())
    click.echo(f"loaded back:  {loaded!r}")
    click.echo(f"predictions on 5 new rows: {[round(float(p), 2) for p in preds]}")
    same = (preds == model.predict(X_test.head())).all()
    click.echo(f"same as the trained model: {bool(same)}")
    autolog.disable()
