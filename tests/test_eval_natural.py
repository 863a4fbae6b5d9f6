"""The hand-written natural-language sets (loader, integrity) and `eval natural` (scoring, CLI, tiny model)."""

import json
import sys
from pathlib import Path

import pytest

from posegpt.data.named_poses import named_pose
from posegpt.eval import natural
from posegpt.eval.checks import CHECKS, run_checks
from posegpt.eval.natural_set import (
    DATA_DIR,
    KINDS,
    MINIMUM_COUNTS,
    NaturalSetError,
    counts,
    first_per_kind,
    load_items,
    parse_file,
)
from posegpt.eval.text2pose import Answer
from posegpt.tokens import POSE_TOKEN

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"id": "x-1", "kind": "explicit", "text": "arms up", "checks": ["both_wrists_above_head"]}


# --- the shipped sets ----------------------------------------------------------------------------


def test_the_shipped_sets_load_and_meet_the_minimums():
    items = load_items()
    sizes = counts(items)
    for kind, minimum in MINIMUM_COUNTS.items():
        assert sizes[kind] >= minimum, f"{kind}: {sizes[kind]} < {minimum}"
    # roughly 45 explicit / 40 speculative / 20 named
    assert sizes["explicit"] >= 40 and sizes["speculative"] >= 35 and sizes["named"] >= 18
    assert len({item.id for item in items}) == len(items)
    assert {item.kind for item in items} == set(KINDS)


def test_every_shipped_item_is_well_formed():
    for item in load_items():
        assert all(name in CHECKS for name in item.checks), item.source
        assert item.text.strip() and POSE_TOKEN not in item.text, item.source
        messages = item.messages
        assert messages[-1] == {"role": "user", "content": item.text}
        if item.kind == "n_poses":
            assert item.n in (2, 3, 4) and not item.checks
        elif item.kind == "no_pose":
            assert not item.checks and item.n is None and len(messages) == 1
        elif item.kind == "follow_up":
            assert [m["role"] for m in messages] == ["user", "assistant", "user"] and item.checks
            assert messages[1]["content"].count(POSE_TOKEN) == 1
        else:
            assert item.checks and len(messages) == 1
    assert {item.n for item in load_items() if item.kind == "n_poses"} == {2, 3, 4}


def test_the_data_files_ship_with_the_package():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["posegpt.eval"]
    package = ROOT / "posegpt" / "eval"
    shipped = {path for pattern in patterns for path in package.glob(pattern)}
    files = set(DATA_DIR.glob("*.jsonl"))
    assert files and files <= shipped


def test_the_checks_of_a_few_items_hold_for_a_right_answer_and_fail_a_wrong_one():
    """The checks are the intended ones: a library pose that answers the prompt passes them."""
    by_id = {item.id: item for item in load_items()}
    right = {"explicit-01": "arms_up", "explicit-03": "sit_floor_cross_legged", "explicit-13": "hands_on_hips",
             "situation-16": "stand", "named-01": "warrior_two", "named-08": "lie_on_back"}
    for item_id, pose in right.items():
        assert all(run_checks(named_pose(pose), by_id[item_id].checks).values()), item_id
        assert not all(run_checks(named_pose("squat"), by_id[item_id].checks).values()), item_id


# --- the loader rejects bad files ---------------------------------------------------------------


def _write(path: Path, *records) -> Path:
    lines = ["# a comment line", ""] + [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({**GOOD, "checks": ["both_wrists_above_hed"]}, "unknown check name(s) both_wrists_above_hed"),
        ({**GOOD, "kind": "explict"}, "unknown kind 'explict'"),
        ({**GOOD, "text": ""}, '"text" must be non-empty text'),
        ({**GOOD, "text": "   "}, '"text" must be non-empty text'),
        ({**GOOD, "id": ""}, '"id" must be non-empty text'),
        ({**GOOD, "checks": []}, '"checks" must be a non-empty list'),
        ({**GOOD, "checks": ["sitting", "sitting"]}, "listed twice"),
        ({**GOOD, "any_side": "yes"}, '"any_side" must be true or false'),
        ({**GOOD, "chekcs": ["sitting"]}, "unknown field(s) chekcs"),
        ({"id": "x-1", "kind": "explicit", "text": "arms up"}, "needs checks"),
        ({"id": "x-1", "kind": "n_poses", "text": "5 poses", "n": 5}, '"n" must be a whole number from 2 to 4'),
        ({"id": "x-1", "kind": "n_poses", "text": "poses", "n": True}, '"n" must be a whole number'),
        ({"id": "x-1", "kind": "no_pose", "text": "hi", "checks": ["sitting"]}, "unknown field(s) checks"),
        ({"id": "x-1", "kind": "follow_up", "context": ["arms up", "Here you go."], "text": "lower them",
          "checks": ["wrists_below_shoulders"]}, "exactly one <POSE>"),
        ({"id": "x-1", "kind": "follow_up", "context": ["arms up"], "text": "lower them",
          "checks": ["wrists_below_shoulders"]}, '"context" must be [user request, assistant reply]'),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_bad_lines_are_named_by_file_and_line(tmp_path, record, message):
    path = _write(tmp_path / "set.jsonl", {**GOOD, "id": "ok-1"}, record)
    with pytest.raises(NaturalSetError) as caught:
        load_items(tmp_path)
    assert str(caught.value).startswith(f"{path}:4: ") and message in str(caught.value)


def test_duplicate_ids_are_rejected_across_files(tmp_path):
    first = _write(tmp_path / "a.jsonl", GOOD)
    second = _write(tmp_path / "b.jsonl", {"id": "x-2", "kind": "no_pose", "text": "hi"}, {**GOOD, "text": "hands up"})
    with pytest.raises(NaturalSetError, match=rf"{second}:4: duplicate id 'x-1' \(first at {first}:3\)"):
        load_items(tmp_path)


def test_a_good_file_loads_with_sources_and_messages(tmp_path):
    path = _write(tmp_path / "set.jsonl", GOOD, {"id": "f-1", "kind": "follow_up", "any_side": True,
                                                  "context": ["raise an arm", "Left arm up: <POSE>"], "text": "other one",
                                                  "checks": ["right_wrist_above_head"]})
    plain, follow_up = parse_file(path)
    assert plain.source == f"{path}:3" and plain.messages == ({"role": "user", "content": "arms up"},)
    assert follow_up.any_side and [m["role"] for m in follow_up.messages] == ["user", "assistant", "user"]
    assert follow_up.messages[1]["content"] == "Left arm up: <POSE>"
    with pytest.raises(NaturalSetError, match="no .jsonl files"):
        load_items(tmp_path / "empty")


def test_first_per_kind_keeps_every_kind():
    chosen = first_per_kind(load_items(), 2)
    assert counts(chosen) == {**{kind: 2 for kind in KINDS}, "pose prompts": 6}


# --- scoring -------------------------------------------------------------------------------------


def _pose_record(name: str) -> dict:
    pose = named_pose(name)
    return {"global_orient": pose.global_orient[0].tolist(), "body_pose": pose.body_pose[0].tolist()}


def test_a_scripted_answer_set_gets_the_expected_scores(tmp_path):
    """Every reply is scripted, so every number in the results is known in advance."""
    items = load_items()
    no_pose = [i for i in items if i.kind == "no_pose"]
    n_poses = [i for i in items if i.kind == "n_poses"]
    arms_up = _pose_record("arms_up")
    lines = []
    for item in items:
        if item.kind == "no_pose":  # the first three get a pose
            reply = {"reply": f"Sure: {POSE_TOKEN}", "poses": [arms_up]} if item in no_pose[:3] else {"reply": "Hello!", "poses": []}
        elif item.kind == "n_poses":  # every other one gets one pose too few
            count = item.n if n_poses.index(item) % 2 == 0 else item.n - 1
            reply = {"reply": " ".join([POSE_TOKEN] * count), "poses": [arms_up] * count}
        elif item.id == "explicit-02":  # words, no body
            reply = {"reply": "Hands up!", "poses": []}
        else:  # every other pose prompt: both arms straight up
            reply = {"reply": f"Like this: {POSE_TOKEN}", "poses": [arms_up]}
        lines.append(json.dumps({"id": item.id, **reply}))
    replies = tmp_path / "replies.jsonl"
    replies.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert natural.main(["--replies", str(replies), "--skip-baselines", "--output", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())

    hygiene = results["chat_hygiene"]
    assert hygiene["no_pose"] == {"prompts": len(no_pose), "with_pose_pct": pytest.approx(300 / len(no_pose))}
    half = sum(1 for k in range(len(n_poses)) if k % 2 == 0)
    assert hygiene["n_poses"]["exact_pct"] == pytest.approx(100 * half / len(n_poses))
    assert hygiene["n_poses"]["fewer_pct"] + hygiene["n_poses"]["exact_pct"] == pytest.approx(100.0)
    assert hygiene["n_poses"]["more_pct"] == 0.0

    model = results["pose_requests"]["PoseGPT"]
    arms_up_pose = named_pose("arms_up")
    for kind in ("explicit", "speculative", "named", "follow_up"):
        group = [i for i in items if i.kind == kind]
        shares = []
        for item in group:
            if item.id == "explicit-02":
                shares.append(0.0)
                continue
            readings = [run_checks(arms_up_pose, item.checks)]
            if item.any_side:
                readings.append(run_checks(arms_up_pose.mirrored(), item.checks))
            shares.append(max(sum(r.values()) / len(r) for r in readings))
        assert model[kind]["prompts"] == len(group)
        assert model[kind]["checks_passed_pct"] == pytest.approx(100 * sum(shares) / len(shares))
        assert model[kind]["all_checks_passed_pct"] == pytest.approx(100 * sum(s == 1.0 for s in shares) / len(shares))
    assert model["explicit"]["no_pose_pct"] == pytest.approx(100 / len([i for i in items if i.kind == "explicit"]))
    assert model["all"]["prompts"] == counts(items)["pose prompts"]  # "all" = the requests, not the follow-ups
    records = {(r["method"], r["id"]): r for r in results["prompts"]}
    assert records[("PoseGPT", "explicit-01")]["checks"] == {"both_wrists_above_head": True}
    assert records[("PoseGPT", "explicit-03")]["checks"] == {"sitting": False, "knees_bent": False}
    assert records[("PoseGPT", "chat-001")]["passed"] is False and records[("PoseGPT", "chat-004")]["passed"] is True
    table = (out / "results.md").read_text()
    assert "| follow_up | PoseGPT | 24 |" in table and "non-pose prompts that got a pose" in table
    assert "MPJPE" not in table  # no reference poses: no joint errors


def test_baselines_answer_the_pose_prompts_only(tmp_path, monkeypatch):
    """With --skip-model the two baselines are scored; chat hygiene needs the model and is absent."""
    from posegpt.eval import text2pose

    monkeypatch.setattr(natural, "baseline_methods", lambda train_size, seed, device: {
        "mean pose": text2pose.mean_pose_method(named_pose("stand")),
    })
    out = tmp_path / "out"
    assert natural.main(["--skip-model", "--limit", "3", "--output", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["pose_requests"]) == {"mean pose"} and results["chat_hygiene"] == {}
    assert results["pose_requests"]["mean pose"]["all"]["prompts"] == 9
    assert results["pose_requests"]["mean pose"]["follow_up"]["no_pose_pct"] == 0.0
    assert natural.main(["--skip-model", "--skip-baselines", "--output", str(out)]) == 2


def test_the_command_runs_end_to_end_on_a_tiny_model_with_one_load(tmp_path, monkeypatch, capsys):
    from posegpt.cli import main
    from posegpt.eval import text2pose
    from tests.tiny_models import save_tiny_llama

    loads = []
    original = text2pose.load_engine
    monkeypatch.setattr(text2pose, "load_engine", lambda *args, **kwargs: loads.append(args) or original(*args, **kwargs))
    backbone = save_tiny_llama(tmp_path / "tiny")
    out = tmp_path / "out"
    assert main(["eval", "natural", "--backbone", str(backbone), "--limit", "1", "--skip-baselines",
                 "--max-new-tokens", "4", "--output", str(out)]) == 0
    assert len(loads) == 1
    prompts = [json.loads(line) for line in (out / "prompts.jsonl").read_text().splitlines()]
    replies = [json.loads(line) for line in (out / "model_replies.jsonl").read_text().splitlines()]
    assert [p["id"] for p in prompts] == [r["id"] for r in replies] and len(prompts) == len(KINDS)
    (follow_up,) = [p for p in prompts if p["id"].startswith("followup-")]
    assert [m["role"] for m in follow_up["messages"]] == ["user", "assistant", "user"]
    results = json.loads((out / "results.json").read_text())
    assert "UNTRAINED" in results["model"]
    assert set(results["pose_requests"]["PoseGPT"]) == {"explicit", "speculative", "named", "all", "follow_up"}
    assert set(results["chat_hygiene"]) == {"no_pose", "n_poses"}
    printed = capsys.readouterr().out
    assert "| explicit | PoseGPT | 1 |" in printed and '"N poses" requests' in printed


def test_poses_said_counts_markers_even_when_a_pose_failed_to_decode():
    assert natural.poses_said(Answer(f"A: {POSE_TOKEN} B: {POSE_TOKEN}", [])) == 2
    assert natural.poses_said(Answer("no body", [])) == 0


def test_help_lists_the_command(capsys):
    from posegpt.cli import main

    with pytest.raises(SystemExit):
        main(["eval", "natural", "--help"])
    assert "--limit" in capsys.readouterr().out


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


def test_a_set_of_ones_own_is_scored_in_place_of_the_shipped_one(tmp_path):
    """`--set-dir`: a second hand-written set, written after a change, checks it did not just fit the first."""
    own = tmp_path / "own"
    own.mkdir()
    (own / "poses.jsonl").write_text(
        '# two requests of my own\n'
        '{"id": "mine-1", "kind": "explicit", "text": "reach for the sky", "checks": ["both_wrists_above_head"]}\n'
        '{"id": "mine-2", "kind": "explicit", "text": "have a seat", "checks": ["sitting"]}\n')
    arms_up = _pose_record("arms_up")
    replies = tmp_path / "replies.jsonl"
    replies.write_text("".join(json.dumps({"id": f"mine-{n}", "reply": f"Here: {POSE_TOKEN}", "poses": [arms_up]}) + "\n"
                               for n in (1, 2)))
    out = tmp_path / "out"
    assert natural.main(["--set-dir", str(own), "--replies", str(replies), "--skip-baselines", "--output", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["set"]["folder"] == str(own) and results["set"]["sizes"]["explicit"] == 2
    assert results["pose_requests"]["PoseGPT"]["explicit"]["all_checks_passed_pct"] == pytest.approx(50.0)
    (own / "poses.jsonl").write_text('{"id": "mine-1", "kind": "explicit", "text": "x", "checks": ["no_such_check"]}\n')
    assert natural.main(["--set-dir", str(own), "--replies", str(replies), "--skip-baselines", "--output", str(out)]) == 2
