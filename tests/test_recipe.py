"""A recipe file runs every stage of a checkpoint's training in order, skipping finished ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from posegpt import cli
from posegpt.train import TrainConfig, load_recipe

REPO = Path(__file__).resolve().parents[1]


def test_the_default_recipe_lists_existing_stage_configs_that_chain():
    stages = load_recipe(REPO / "configs" / "recipe-smollm2-135m.yaml")
    assert stages and all(stage.is_file() for stage in stages)
    configs = [TrainConfig.from_yaml(stage) for stage in stages]
    assert configs[0].init_from is None
    for before, after in zip(configs, configs[1:]):  # each stage starts from the one before
        assert after.init_from == f"{before.output_dir}/final"


def test_a_single_stage_config_is_not_a_recipe():
    assert load_recipe(REPO / "configs" / "smollm2-135m.yaml") is None


@pytest.mark.parametrize("text", ["stages: []\n", "stages: configs/a.yaml\n", "stages: [a.yaml]\nseed: 1\n",
                                  "stages: [missing.yaml]\n"])
def test_a_bad_recipe_says_what_is_wrong(tmp_path, text):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(text)
    with pytest.raises(ValueError, match="recipe|not found"):
        load_recipe(recipe)


def test_train_runs_unfinished_stages_in_order(tmp_path, monkeypatch, capsys):
    for name in ("one", "two", "three"):
        (tmp_path / f"{name}.yaml").write_text(f"output_dir: {tmp_path / name}\n")
    (tmp_path / "recipe.yaml").write_text("stages: [one.yaml, two.yaml, three.yaml]\n")
    (tmp_path / "one" / "final").mkdir(parents=True)  # stage one finished earlier
    ran = []

    def fake_train(settings, resume=True):
        ran.append(Path(settings.output_dir).name)
        return Path(settings.output_dir) / "final"

    monkeypatch.setattr("posegpt.train.train", fake_train)
    assert cli.main(["train", "--config", str(tmp_path / "recipe.yaml")]) == 0
    assert ran == ["two", "three"]
    assert "done before" in capsys.readouterr().out
    assert cli.main(["train", "--config", str(tmp_path / "recipe.yaml"), "--max-steps", "3"]) == 2
