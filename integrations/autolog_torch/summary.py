"""A model summary: the module tree with parameter counts, as a text artifact."""

from __future__ import annotations

from typing import Any

__all__ = [
    "SUMMARY_ARTIFACT", "SUMMARY_FILE", "parameter_counts", "summarize", "write_text_artifact",
]

SUMMARY_ARTIFACT = "model_summary"
SUMMARY_FILE = "model_summary.txt"
_MAX_LINES = 2000
_MAX_DETAIL = 60


def parameter_counts(module: Any) -> tuple[int, int]:
    """(total, trainable) parameter counts; shared parameters are counted once."""
    params = list(module.parameters())
    return (sum(p.numel() for p in params),
            sum(p.numel() for p in params if p.requires_grad))


def summarize(module: Any) -> str:
    """The module tree, one line per module: path, class (with its settings), parameters.

    A module's count includes its children's. At most 2,000 lines; deeper trees are cut with
    a note.
    """
    rows: list[tuple[str, str, str]] = []
    truncated = False

    def walk(name: str, mod: Any, depth: int) -> None:
        nonlocal truncated
        if len(rows) >= _MAX_LINES:
            truncated = True
            return
        detail = mod.extra_repr().replace("\n", " ")
        if len(detail) > _MAX_DETAIL:
            detail = detail[:_MAX_DETAIL - 3] + "..."
        kind = f"{type(mod).__name__}({detail})" if detail else type(mod).__name__
        total = sum(p.numel() for p in mod.parameters())
        rows.append(("  " * depth + name, kind, f"{total:,}"))
        for child_name, child in mod.named_children():
            walk(child_name, child, depth + 1)

    walk("(root)", module, 0)
    total, trainable = parameter_counts(module)
    widths = [max(len(r[i]) for r in [("module", "type", "parameters"), *rows])
              for i in range(3)]
    lines = [f"{type(module).__name__}: {total:,} parameters ({trainable:,} trainable, "
             f"{total - trainable:,} frozen)", ""]
    for path, kind, count in [("module", "type", "parameters"), *rows]:
        lines.append(f"{path:<{widths[0]}}  {kind:<{widths[1]}}  {count:>{widths[2]}}".rstrip())
    if truncated:
        lines.append(f"... cut at {_MAX_LINES} modules")
    return "\n".join(lines) + "\n"


def write_text_artifact(store: Any, run_id: str, artifact_path: str,
                        files: dict[str, str]) -> None:
    """Writer job: put ``files`` (name -> text) in one artifact folder of the run."""
    store.log_files(run_id, artifact_path, files)
