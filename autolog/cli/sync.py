"""``autolog sync LOCAL_STORE --to URI``: send runs kept offline to their real store."""

from __future__ import annotations

import click

from autolog.cli.common import echo_json

__all__ = ["sync"]


@click.command()
@click.argument("local_store", type=click.Path(exists=True, file_okay=False))
@click.option("--to", "to", required=True, metavar="URI",
              help="The store to send runs to, e.g. http://mlflow.example:5000.")
@click.option("--experiment", "-e", default=None, help="Only runs of this experiment.")
@click.option("--dry-run", is_flag=True, help="Only show what would be sent.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summary.")
def sync(local_store: str, to: str, experiment: str | None, dry_run: bool,
         as_json: bool) -> None:
    """Send the runs of LOCAL_STORE that the store at URI does not have yet.

    Safe to repeat: runs already there are skipped, and a sync that was interrupted resumes
    where it stopped.
    """
    from autolog.stores import open_store
    from autolog.sync import plan_sync, send_planned

    source = open_store(local_store, offline_fallback=False)
    target = open_store(to, offline_fallback=False)
    ping = getattr(target, "ping", None)
    if ping is not None:
        ping()
    plan = plan_sync(source, target, experiment)
    report = plan.report
    if not dry_run and plan.runs:
        if as_json:
            send_planned(source, target, plan)
        else:
            with click.progressbar(length=len(plan.runs), label="Sending runs",
                                   show_pos=True) as bar:
                send_planned(source, target, plan, on_run=lambda run: bar.update(1))
    if as_json:
        echo_json({"target": to, "dry_run": dry_run, **report.to_dict()})
        return
    verb = "Would send" if dry_run else "Sent"
    click.echo(f"{verb} {len(report.to_send)} run(s) to {to}; {len(report.present)} already "
               "there" + (f"; {len(report.running)} still running, left for a later sync"
                          if report.running else "") + ".")
    if report.resent:
        click.echo(f"{len(report.resent)} of them had been left partial by an interrupted sync "
                   "and were sent again.")
