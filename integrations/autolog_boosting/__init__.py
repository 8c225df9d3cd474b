"""What the XGBoost and LightGBM plugins share: the record of one native training call.

Both libraries train the same way — ``train(params, data, num_boost_round, evaluation sets,
callbacks)`` returning a booster — so :class:`~autolog_boosting.recorder.TrainingRun` keeps
one run for either: parameters, the evaluation metrics of every iteration as steps, the best
iteration, feature importance and the model. :mod:`autolog_boosting.onnx_outputs` puts first
the ONNX output that matches what a booster's ``predict`` returns.

Written against :mod:`autolog.plugin` only, like the plugins themselves; a third-party plugin
would keep such code in its own package.
"""

from autolog_boosting.recorder import TrainingRun, metric_name, record_train

__all__ = ["TrainingRun", "metric_name", "record_train"]
