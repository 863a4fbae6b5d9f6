"""demo.settings: flags and environment variables for app.py."""

import pytest

from demo.settings import parse_settings


def test_defaults_use_the_committed_checkpoint_on_cpu():
    settings = parse_settings([], environ={})
    assert settings.checkpoint is None and settings.backbone is None
    assert settings.device == "cpu" and settings.body == "auto" and settings.concurrency == 4


def test_environment_sets_and_flags_override():
    environ = {"POSEGPT_BACKBONE": "HuggingFaceTB/SmolLM2-1.7B-Instruct", "POSEGPT_DEVICE": "cuda",
               "POSEGPT_CONCURRENCY": "2", "POSEGPT_BODY": "anny"}
    settings = parse_settings([], environ=environ)
    assert settings.backbone == "HuggingFaceTB/SmolLM2-1.7B-Instruct" and settings.device == "cuda"
    assert settings.concurrency == 2 and settings.body == "anny"
    assert parse_settings(["--device", "cpu", "--port", "7000"], environ=environ).device == "cpu"


@pytest.mark.parametrize("argv", [["--concurrency", "0"], ["--body", "mesh"], ["--max-new-tokens", "0"]])
def test_bad_values_exit_with_a_usage_message(argv, capsys):
    with pytest.raises(SystemExit):
        parse_settings(argv, environ={})
    assert "error" in capsys.readouterr().err
