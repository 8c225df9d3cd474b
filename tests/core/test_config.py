"""Options: one definition, reachable from Python and the environment, clear errors."""

from __future__ import annotations

import pytest

from autolog import config
from autolog.errors import ConfigError


def test_defaults_env_and_kwargs_precedence():
    cfg = config.resolve({}, environ={})
    assert cfg.format == "pickle" and cfg.max_tuning_runs == 5 and cfg.log_models is True
    cfg = config.resolve({}, environ={"AUTOLOG_FORMAT": "onnx", "AUTOLOG_MAX_TUNING_RUNS": "2",
                                      "AUTOLOG_LOG_MODELS": "false"})
    assert (cfg.format, cfg.max_tuning_runs, cfg.log_models) == ("onnx", 2, False)
    cfg = config.resolve({"format": "both"}, environ={"AUTOLOG_FORMAT": "onnx"})
    assert cfg.format == "both"


def test_bad_value_names_option_value_and_choices():
    with pytest.raises(ConfigError) as info:
        config.resolve({}, environ={"AUTOLOG_FORMAT": "zip"})
    message = str(info.value)
    assert "AUTOLOG_FORMAT" in message and "'zip'" in message
    assert "pickle, onnx, both" in message
    with pytest.raises(ConfigError, match="max_tuning_runs"):
        config.resolve({"max_tuning_runs": "many"}, environ={})


def test_unknown_option_suggests_closest():
    with pytest.raises(ConfigError, match="Did you mean 'store'"):
        config.resolve({"stor": "/x"}, environ={})
    warnings = config.unknown_env_names({"AUTOLOG_FROMAT": "onnx", "AUTOLOG": "1"})
    assert len(warnings) == 1 and "AUTOLOG_FORMAT" in warnings[0]


def test_list_and_mapping_options():
    cfg = config.resolve({}, environ={"AUTOLOG_DISABLED_INTEGRATIONS": "torch, sklearn",
                                      "AUTOLOG_METADATA": '{"team": "risk"}'})
    assert cfg.disabled_integrations == ("torch", "sklearn")
    assert cfg.metadata == {"team": "risk"}


def test_every_option_documented_with_env_name():
    for name, option in config.OPTIONS.items():
        assert option.doc, name
        assert option.env == "AUTOLOG_" + name.upper()



def test_run_context_options():
    cfg = config.resolve({}, environ={})
    assert (cfg.log_system_metrics, cfg.system_metrics_interval, cfg.log_git_diff) == (
        "auto", 10.0, True)
    for given, mode in [(True, "on"), (False, "off"), ("yes", "on"), ("0", "off"),
                        ("AUTO", "auto")]:
        assert config.resolve({"log_system_metrics": given}, environ={}).log_system_metrics \
            == mode
    cfg = config.resolve({}, environ={"AUTOLOG_SYSTEM_METRICS_INTERVAL": "2.5",
                                      "AUTOLOG_LOG_GIT_DIFF": "off"})
    assert (cfg.system_metrics_interval, cfg.log_git_diff) == (2.5, False)
    with pytest.raises(ConfigError, match="Valid choices: auto, on, off"):
        config.resolve({"log_system_metrics": "sometimes"}, environ={})
    for bad in ("0", "-1", "nan", "inf", "soon"):
        with pytest.raises(ConfigError, match="AUTOLOG_SYSTEM_METRICS_INTERVAL"):
            config.resolve({}, environ={"AUTOLOG_SYSTEM_METRICS_INTERVAL": bad})
