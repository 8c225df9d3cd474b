"""``autolog models list|versions|show|register|alias|compare|update|delete``.

Every command takes ``--store`` (default: ``AUTOLOG_STORE``, else ``~/.autolog``) and
``--json``. Deleting asks for confirmation unless ``--yes`` is given.
"""

from __future__ import annotations

import datetime
from typing import Any

import click

from autolog.cli.common import (
    echo_json,
    json_option,
    open_cli_store,
    print_table,
    store_option,
    yes_option,
)

__all__ = ["models"]


def _time(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _headline(metrics: dict[str, float], limit: int = 3) -> str:
    ordered = sorted(metrics, key=lambda k: (k != "training_score", k))[:limit]
    return ", ".join(f"{k}={metrics[k]:.4g}" for k in ordered)


def _tags(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE, e.g. --tag team=vision.",
                                     param_hint="--tag")
        out[key] = value
    return out


def _confirm(message: str, yes: bool) -> None:
    if not yes:
        click.confirm(message, abort=True, err=True)


def _version_ref(name: str, version: str | None) -> tuple[str, str | None]:
    """``NAME [VERSION]`` where NAME may also be a ``models:/`` URI."""
    if name.startswith("models:/"):
        if version is not None:
            raise click.UsageError("Give either a models:/ URI or NAME VERSION, not both.")
        from autolog.uris import parse_model_uri

        model, kind, value = parse_model_uri(name)
        return model, {"alias": f"@{value}", "latest": "latest"}.get(kind, str(value))
    return name, version


def _version_row(v: Any) -> dict[str, Any]:
    return {"version": v.version, "aliases": ", ".join(v.aliases), "run": (v.run_id or "")[:8],
            "model": v.model_class, "created": _time(v.created_time),
            "formats": ", ".join(v.formats), "metrics": _headline(v.metrics)}


@click.group()
def models() -> None:
    """Registered models: versions, aliases, comparison."""


@models.command("list")
@store_option
@json_option
def list_models(store: str | None, as_json: bool) -> None:
    """Every registered model."""
    from autolog import registry

    found = registry.list_models(store=open_cli_store(store))
    if as_json:
        echo_json([m.to_dict() for m in found])
        return
    print_table([{
        "name": m.name, "latest": m.latest_version, "versions": m.version_count,
        "aliases": ", ".join(f"{a}->v{v}" for a, v in sorted(m.aliases.items())),
        "updated": _time(m.updated_time), "description": m.description,
    } for m in found])


@models.command("versions")
@store_option
@click.argument("name")
@json_option
def list_versions(store: str | None, name: str, as_json: bool) -> None:
    """The versions of model NAME, oldest first."""
    from autolog import registry

    found = registry.list_versions(name, store=open_cli_store(store))
    if as_json:
        echo_json([v.to_dict() for v in found])
        return
    print_table([_version_row(v) for v in found])


@models.command("show")
@store_option
@click.argument("name")
@click.argument("version", required=False)
@json_option
def show(store: str | None, name: str, version: str | None, as_json: bool) -> None:
    """A model (NAME) or one version (NAME VERSION, NAME @alias, NAME latest, models:/ URI)."""
    from autolog import registry

    target = open_cli_store(store)
    name, version = _version_ref(name, version)
    if version is None:
        model = registry.get_registered_model(name, store=target)
        versions = registry.list_versions(name, store=target)
        if as_json:
            echo_json({**model.to_dict(), "versions": [v.to_dict() for v in versions]})
            return
        click.echo(f"model {model.name}  latest v{model.latest_version}  "
                   f"created {_time(model.created_time)}  updated {_time(model.updated_time)}")
        if model.description:
            click.echo(f"description: {model.description}")
        for title, values in (("tags", model.tags), ("aliases", model.aliases)):
            click.echo(f"\n{title}:")
            print_table([{"name": k, "value": v} for k, v in sorted(values.items())])
        click.echo("\nversions:")
        print_table([_version_row(v) for v in versions])
        return
    mv = registry.get_model_version(name, version, store=target)
    if as_json:
        echo_json({**mv.to_dict(), "uri": mv.uri,
                   "path": str(target.download_model_version(mv.name, mv.version))})
        return
    click.echo(f"{mv.uri}  {mv.model_class}  created {_time(mv.created_time)}")
    click.echo(f"source {mv.source}  run {mv.run_id or '-'}  experiment {mv.experiment}")
    click.echo(f"aliases {', '.join(mv.aliases) or '-'}  formats {', '.join(mv.formats)}  "
               f"size {mv.size_bytes} bytes")
    if mv.description:
        click.echo(f"description: {mv.description}")
    sections: list[tuple[str, dict[str, Any]]] = [
        ("metrics", mv.metrics), ("params", mv.params), ("tags", mv.tags)]
    for title, values in sections:
        click.echo(f"\n{title}:")
        print_table([{"name": k, "value": v} for k, v in sorted(values.items())])
    if mv.signature:
        click.echo("\nsignature:")
        for part in ("inputs", "outputs"):
            if mv.signature.get(part):
                click.echo(f"  {part}: {mv.signature[part]}")
    click.echo(f"\nmodel folder: {target.download_model_version(mv.name, mv.version)}")


@models.command("register")
@store_option
@click.argument("model_uri")
@click.argument("name")
@click.option("--description", "-d", default="", help="The version's description.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A tag (repeatable).")
@json_option
def register(store: str | None, model_uri: str, name: str, description: str,
             tags: tuple[str, ...], as_json: bool) -> None:
    """Save MODEL_URI (runs:/<run_id>/model, a folder, models:/...) as the next version of NAME."""
    from autolog import registry

    mv = registry.register_model(model_uri, name, description=description, tags=_tags(tags),
                                 store=open_cli_store(store))
    if as_json:
        echo_json(mv.to_dict())
        return
    click.echo(f"Registered {model_uri} as {mv.uri}")


@models.command("alias")
@store_option
@click.argument("name")
@click.argument("alias", required=False)
@click.argument("version", required=False)
@click.option("--delete", is_flag=True, help="Remove ALIAS.")
@yes_option
@json_option
def alias(store: str | None, name: str, alias: str | None, version: str | None, delete: bool,
          yes: bool, as_json: bool) -> None:
    """Point ALIAS of NAME at VERSION; with --delete remove it; without either list aliases."""
    from autolog import registry

    target = open_cli_store(store)
    if delete:
        if alias is None or version is not None:
            raise click.UsageError("--delete takes NAME ALIAS and no VERSION.")
        _confirm(f"Delete alias {alias!r} of model {name!r}?", yes)
        registry.delete_alias(name, alias, store=target)
        if as_json:
            echo_json({"deleted_alias": alias, "name": name})
        else:
            click.echo(f"Deleted alias {alias!r} of {name!r}.")
        return
    if alias is not None and version is not None:
        mv = registry.set_alias(name, alias, version, store=target)
        if as_json:
            echo_json({"name": name, "alias": alias, "version": mv.version})
        else:
            click.echo(f"models:/{name}@{alias} -> {mv.uri}")
        return
    aliases = registry.get_registered_model(name, store=target).aliases
    if alias is not None:
        if alias not in aliases:
            registry.get_model_version(name, f"@{alias}", store=target)  # raises NotFoundError
        aliases = {alias: aliases[alias]}
    if as_json:
        echo_json(aliases)
        return
    print_table([{"alias": a, "version": v} for a, v in sorted(aliases.items())])


@models.command("compare")
@store_option
@click.argument("name")
@click.argument("versions", nargs=-1)
@click.option("--best-by", metavar="METRIC",
              help="Name the best version by this metric, or by a kind (accuracy, f1, rmse "
                   "...: its held-out metric if the versions have one). Default: the "
                   "held-out ranking, when the versions share a held-out metric.")
@click.option("--max", "goal", flag_value="max", help="Higher METRIC is better.")
@click.option("--min", "goal", flag_value="min", help="Lower METRIC is better.")
@click.option("--set-alias", "set_alias", metavar="ALIAS",
              help="Point ALIAS (e.g. champion) at the best version (by --best-by, else by the "
                   "held-out ranking).")
@json_option
def compare(store: str | None, name: str, versions: tuple[str, ...], best_by: str | None,
            goal: str | None, set_alias: str | None, as_json: bool) -> None:
    """Versions of NAME side by side (all, or VERSIONS: numbers, latest, @alias).

    Held-out metrics (measured after the fit on other data, e.g. with autolog.evaluate or
    model.score(X_test, y_test)) come first, one section per dataset; when the versions share
    one, it ranks them and training metrics are ignored. Without --max/--min, lower is better
    for metrics whose name has a word such as loss, error, mse, rmse, mae or time (not with
    'neg'), higher for all others.
    """
    from autolog import registry

    target = open_cli_store(store)
    comparison = registry.compare(name, list(versions) or None, store=target)
    if set_alias and not best_by and comparison.ranking() is None:
        raise click.UsageError("--set-alias needs --best-by METRIC to choose the version: the "
                               "versions share no held-out metric to rank them by.")
    choice = None
    if best_by or set_alias:
        choice = comparison.choose(best_by, goal)
        if set_alias:
            registry.set_alias(name, set_alias, choice.version.version, store=target)
            comparison = registry.compare(name, list(versions) or None, store=target)
    if as_json:
        data = comparison.to_dict()
        if choice is not None:
            data["best"] = {"metric": choice.metric, "goal": choice.goal,
                            "version": choice.version.version, "value": choice.value,
                            "alias": set_alias, "note": choice.note,
                            "heldout": comparison.dataset_of(choice.metric) is not None}
        echo_json(data)
        return
    click.echo(str(comparison))
    if choice is not None:
        click.echo(f"\nbest by {choice.metric} ({choice.goal}): v{choice.version.version} "
                   f"({choice.value:.6g})")
        if choice.note:
            click.echo(f"note: {choice.note}")
        if set_alias:
            click.echo(f"models:/{name}@{set_alias} -> {choice.version.uri}")


@models.command("update")
@store_option
@click.argument("name")
@click.argument("version", required=False)
@click.option("--description", "-d", default=None, help="New description.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Set a tag (repeatable).")
@click.option("--delete-tag", "delete_tags", multiple=True, metavar="KEY",
              help="Remove a tag (repeatable).")
@json_option
def update(store: str | None, name: str, version: str | None, description: str | None,
           tags: tuple[str, ...], delete_tags: tuple[str, ...], as_json: bool) -> None:
    """Change the description and tags of model NAME, or of one VERSION of it."""
    from autolog import registry

    target = open_cli_store(store)
    name, version = _version_ref(name, version)
    changes: dict[str, Any] = {"description": description, "tags": _tags(tags),
                               "delete_tags": delete_tags}
    if version is None:
        record: Any = registry.update_model(name, store=target, **changes)
        label = f"model {name!r}"
    else:
        number = registry.get_model_version(name, version, store=target).version
        record = registry.update_model_version(name, number, store=target, **changes)
        label = record.uri
    if as_json:
        echo_json(record.to_dict())
        return
    click.echo(f"Updated {label}: description {record.description!r}, tags {record.tags}")


@models.command("delete")
@store_option
@click.argument("name")
@click.argument("version", required=False)
@yes_option
@json_option
def delete(store: str | None, name: str, version: str | None, yes: bool, as_json: bool) -> None:
    """Delete one VERSION of NAME, or the whole model. Asks first unless --yes."""
    from autolog import registry

    target = open_cli_store(store)
    name, version = _version_ref(name, version)
    if version is None:
        model = registry.get_registered_model(name, store=target)
        _confirm(f"Delete model {name!r} with its {model.version_count} version(s) and "
                 f"{len(model.aliases)} alias(es)?", yes)
        registry.delete_model(name, store=target)
        result: dict[str, Any] = {"deleted": "model", "name": name}
        text = f"Deleted model {name!r}."
    else:
        mv = registry.get_model_version(name, version, store=target)
        aliases = f" and its aliases {', '.join(mv.aliases)}" if mv.aliases else ""
        _confirm(f"Delete version {mv.version} of model {name!r}{aliases}?", yes)
        registry.delete_model_version(name, mv.version, store=target)
        result = {"deleted": "version", "name": name, "version": mv.version}
        text = f"Deleted {mv.uri}."
    if as_json:
        echo_json(result)
    else:
        click.echo(text)
