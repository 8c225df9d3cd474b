"""Evaluation on held-out data: :func:`evaluate` and what it computes.

* :mod:`autolog.evaluation.evaluator` — which run gets the metrics, and the logging;
* :mod:`autolog.evaluation.outputs` — a model's predictions, whatever its framework;
* :mod:`autolog.evaluation.metrics` — classification and regression metrics (numpy only);
* :mod:`autolog.evaluation.curves` — the data behind the plots (confusion matrix, ROC, PR,
  calibration, residuals);
* :mod:`autolog.evaluation.result` — :class:`EvaluationResult`.

Post-training metrics (``model.score(X_test, y_test)`` and ``sklearn.metrics`` on a model's
predictions, logged with no code change) are :mod:`autolog.heldout` and the integrations.
"""

from autolog.evaluation.evaluator import evaluate
from autolog.evaluation.result import EvaluationResult

__all__ = ["EvaluationResult", "evaluate"]
