"""PNG images of a run's evaluation plots, drawn with matplotlib (``pip install
'autolog-ml[plots]'``): ``autolog runs plot RUN_ID --out DIR``.

The data is what :func:`autolog.evaluate` stored under ``evaluation/<name>/``; images are made
only when asked for, never while logging.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["render_evaluations"]


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("Plots need matplotlib: pip install 'autolog-ml[plots]'.") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _confusion(ax: Any, data: dict[str, Any]) -> None:
    labels, matrix = [str(v) for v in data["labels"]], data["matrix"]
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = max((max(row) for row in matrix), default=0)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            ax.text(j, i, str(count), ha="center", va="center",
                    color="white" if count > top / 2 else "black")


def _curves(ax: Any, data: dict[str, Any], x: str, y: str) -> None:
    for curve in data["curves"]:
        ax.plot(curve[x], curve[y], label=f"{curve['label']} (AUC {curve['auc']:.3f})")
    if x == "fpr":
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.set_xlabel({"fpr": "false positive rate", "recall": "recall"}[x])
    ax.set_ylabel({"tpr": "true positive rate", "precision": "precision"}[y])
    ax.legend(loc="best", fontsize="small")


def _calibration(ax: Any, data: dict[str, Any]) -> None:
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.plot(data["mean_predicted"], data["fraction_positive"], marker="o")
    ax.set_xlabel(f"mean predicted ({data.get('kind', 'probability')})")
    ax.set_ylabel("observed frequency")


def _residuals(ax: Any, data: dict[str, Any]) -> None:
    edges, counts = data["edges"], data["counts"]
    ax.bar(edges[:-1], counts, width=[b - a for a, b in zip(edges, edges[1:], strict=False)],
           align="edge")
    ax.set_xlabel("residual (true - predicted)")
    ax.set_ylabel("count")


_DRAW = {
    "confusion_matrix": _confusion,
    "roc_curve": lambda ax, d: _curves(ax, d, "fpr", "tpr"),
    "pr_curve": lambda ax, d: _curves(ax, d, "recall", "precision"),
    "calibration_curve": _calibration,
    "residuals": _residuals,
}


def render_evaluations(evaluations: dict[str, dict[str, Any]], out: Path) -> list[Path]:
    """Write ``<out>/<evaluation>/<plot>.png`` for every plot; returns the files written."""
    plt = _pyplot()
    written = []
    for name, plots in evaluations.items():
        for plot, data in plots.items():
            draw = _DRAW.get(plot)
            if draw is None:
                continue
            folder = out / name
            folder.mkdir(parents=True, exist_ok=True)
            fig, ax = plt.subplots(figsize=(5.5, 4.5))
            try:
                draw(ax, data)
                ax.set_title(f"{plot.replace('_', ' ')}: {name}")
                fig.tight_layout()
                path = folder / f"{plot}.png"
                fig.savefig(path, dpi=100)
                written.append(path)
            finally:
                plt.close(fig)
    return written
