"""`python -m posegpt chat` and `batch`, driven offline with a tiny random backbone.

The tiny model is untrained, so its replies are gibberish: these tests check structure (lines,
keys, files, history), not content. A forward hook that makes `<POSE>` the first token of every
reply stands in for a trained model where a pose is needed.
"""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from posegpt.cli import main
from posegpt.pose import Pose

ROOT = Path(__file__).resolve().parent.parent
FAST = ["--max-new-tokens", "6"]


@pytest.fixture(scope="module")
def tiny_backbone(tmp_path_factory) -> str:
    from tests.tiny_models import save_tiny_llama

    return str(save_tiny_llama(tmp_path_factory.mktemp("tiny") / "tiny-llama"))


@pytest.fixture
def force_pose(monkeypatch):
    """Every reply starts with <POSE>: the prefill step's logit for it is made huge."""
    import posegpt.model

    original = posegpt.model.load_posegpt

    def load_with_pose_first(*args, **kwargs):
        model, description = original(*args, **kwargs)
        pose_id = model.pose_token_id

        def hook(module, args, kwargs, output):
            if kwargs["input_ids"].shape[1] > 1:  # the prompt, not a single decoding step
                output.logits[:, -1, pose_id] = 1e4
            return output

        # backbone.model is the module that runs both before and after merge_for_inference().
        model.backbone.model.register_forward_hook(hook, with_kwargs=True)
        return model, description

    monkeypatch.setattr(posegpt.model, "load_posegpt", load_with_pose_first)


@pytest.fixture
def recorded_conversations(monkeypatch):
    """The message lists the engine is asked to answer, in call order."""
    from posegpt.engine import Engine

    calls: list[list[dict]] = []
    original = Engine.stream

    def stream(self, messages, *args, **kwargs):
        calls.append([dict(m) for m in messages])
        return original(self, messages, *args, **kwargs)

    monkeypatch.setattr(Engine, "stream", stream)
    return calls


def _write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _run_chat(backbone: str, text: str, tmp_path: Path, *extra: str) -> tuple[int, str]:
    from posegpt.cli import chat

    out = io.StringIO()
    code = chat(backbone=backbone, max_new_tokens=6, out_dir=tmp_path / "out", stdin=io.StringIO(text), stdout=out,
                **dict(zip(extra[::2], extra[1::2])))
    return code, out.getvalue()


# --- batch ------------------------------------------------------------------------------------------


def test_batch_writes_one_line_per_input_in_order(tiny_backbone, tmp_path, capsys):
    source = _write_jsonl(tmp_path / "in.jsonl", [
        {"id": "a", "messages": [{"role": "user", "content": "Raise your left arm."}]},
        {"id": 7, "messages": [{"role": "system", "content": "You describe poses."},
                               {"role": "user", "content": "Squat down."},
                               {"role": "assistant", "content": "Here it is: <POSE>"},
                               {"role": "user", "content": "Now wave."}]},
        "",  # blank lines are skipped
        {"id": "c", "messages": [{"role": "user", "content": "Hello there!"}], "extra": "ignored"},
    ])
    target = tmp_path / "sub" / "out.jsonl"
    assert main(["batch", "--input", str(source), "--output", str(target), "--backbone", tiny_backbone, *FAST]) == 0
    records = _read_jsonl(target)
    assert [r["id"] for r in records] == ["a", 7, "c"]
    for record in records:
        assert set(record) == {"id", "reply", "poses"}
        assert isinstance(record["reply"], str) and isinstance(record["poses"], list)
    captured = capsys.readouterr()
    assert "Wrote 3 line(s)" in captured.out and "0 with an error" in captured.out
    assert "Model: the bare backbone tiny-llama" in captured.err


def test_batch_poses_have_the_design_keys_and_lengths(tiny_backbone, tmp_path, force_pose):
    source = _write_jsonl(tmp_path / "in.jsonl", [{"id": "p", "messages": [{"role": "user", "content": "Pose?"}]}])
    target = tmp_path / "out.jsonl"
    assert main(["batch", "--input", str(source), "--output", str(target), "--backbone", tiny_backbone, *FAST]) == 0
    (record,) = _read_jsonl(target)
    assert record["reply"].startswith("<POSE>") and len(record["poses"]) == record["reply"].count("<POSE>") >= 1
    pose = record["poses"][0]
    assert set(pose) == {"global_orient", "body_pose"}  # no betas: the head predicts joint rotations only
    assert len(pose["global_orient"]) == 3 and len(pose["body_pose"]) == 69
    assert all(isinstance(value, float) and np.isfinite(value) for value in pose["body_pose"])


def test_batch_bad_lines_get_errors_and_the_rest_still_run(tiny_backbone, tmp_path):
    user = [{"role": "user", "content": "Hi"}]
    source = _write_jsonl(tmp_path / "in.jsonl", [
        "{not json",
        {"messages": user},  # no id
        ["a", "list"],
        {"id": "no-messages"},
        {"id": "bad-role", "messages": [{"role": "robot", "content": "beep"}]},
        {"id": "ends-with-assistant", "messages": [*user, {"role": "assistant", "content": "Hello"}]},
        {"id": "missing-image", "messages": user, "image": "nowhere/photo.png"},
        {"id": "not-an-image", "messages": user, "image": "in.jsonl"},
        {"id": "good", "messages": user},
    ])
    target = tmp_path / "out.jsonl"
    assert main(["batch", "--input", str(source), "--output", str(target), "--backbone", tiny_backbone, *FAST]) == 0
    records = _read_jsonl(target)
    assert [r["id"] for r in records] == [1, 2, 3, "no-messages", "bad-role", "ends-with-assistant",
                                          "missing-image", "not-an-image", "good"]
    expected = ["not valid JSON", '"id" is missing', "expected a JSON object", '"messages" must be',
                "message 1 needs", "last message must be the user's", "cannot read the image nowhere/photo.png",
                "cannot read the image in.jsonl"]
    for record, message in zip(records, expected):
        assert message in record["error"] and record["reply"] == "" and record["poses"] == []
        assert record["error"].startswith(f"line {records.index(record) + 1}: ")
    assert "error" not in records[-1]


def test_batch_an_empty_last_message_gets_an_error_not_a_pose(tiny_backbone, tmp_path, force_pose):
    """Regression (issue 13): an empty or blank request was answered, with a pose when the model
    says <POSE> first; now it is an error line, and the other lines still get their pose."""
    source = _write_jsonl(tmp_path / "in.jsonl", [
        {"id": "empty", "messages": [{"role": "user", "content": ""}]},
        {"id": "blank", "messages": [{"role": "user", "content": "Raise your arms."},
                                     {"role": "assistant", "content": "Here: <POSE>"},
                                     {"role": "user", "content": " \n\t "}]},
        {"id": "good", "messages": [{"role": "user", "content": "Raise your arms."}]},
    ])
    target = tmp_path / "out.jsonl"
    assert main(["batch", "--input", str(source), "--output", str(target), "--backbone", tiny_backbone, *FAST]) == 0
    empty, blank, good = _read_jsonl(target)
    for number, record in enumerate((empty, blank), 1):
        assert record["error"] == f"line {number}: the last user message is empty"
        assert record["reply"] == "" and record["poses"] == []
    assert "error" not in good and len(good["poses"]) >= 1


def test_batch_image_with_a_text_only_backbone_gives_a_notice(tiny_backbone, tmp_path, monkeypatch):
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(tmp_path / "photo.png")
    source = _write_jsonl(tmp_path / "in.jsonl", [
        {"id": "img", "messages": [{"role": "user", "content": "What pose is this?"}], "image": "photo.png"},
    ])
    monkeypatch.chdir(ROOT)  # the image path is relative to the input file's folder, not the working one
    target = tmp_path / "out.jsonl"
    assert main(["batch", "--input", str(source), "--output", str(target), "--backbone", tiny_backbone, *FAST]) == 0
    (record,) = _read_jsonl(target)
    assert "error" not in record and isinstance(record["reply"], str)
    assert len(record["notices"]) == 1 and "cannot see images" in record["notices"][0]


def test_batch_engine_errors_are_recorded_with_the_reply(tiny_backbone, tmp_path, monkeypatch, force_pose):
    from posegpt.engine import Engine, ErrorEvent

    monkeypatch.setattr(Engine, "_pose_event", lambda self, index, hidden, *scene: ErrorEvent(f"pose {index + 1} failed"))
    source = _write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "messages": [{"role": "user", "content": "Hi"}]}])
    target = tmp_path / "out.jsonl"
    assert main(["batch", "--input", str(source), "--output", str(target), "--backbone", tiny_backbone, *FAST]) == 0
    (record,) = _read_jsonl(target)
    assert record["error"] == "pose 1 failed" and record["reply"].startswith("<POSE>") and record["poses"] == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--input", "missing.jsonl"], "cannot read --input missing.jsonl"),
        (["--input", "in.jsonl", "--backbone", "./no/such/model"], "no such folder"),
        (["--input", "in.jsonl", "--max-new-tokens", "0"], "max_new_tokens must be at least 1"),
    ],
)
def test_batch_user_errors_are_one_line(tmp_path, monkeypatch, capsys, arguments, message):
    monkeypatch.chdir(tmp_path)
    _write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "messages": [{"role": "user", "content": "Hi"}]}])
    assert main(["batch", "--output", "out.jsonl", *arguments]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.jsonl").exists()


# --- chat -------------------------------------------------------------------------------------------


def test_chat_keeps_history_resets_and_ends_at_eof(tiny_backbone, tmp_path, recorded_conversations):
    code, out = _run_chat(tiny_backbone, "Hello!\n\nRaise your arms.\n/reset\nAnd now?\n", tmp_path)
    assert code == 0
    assert [len(c) for c in recorded_conversations] == [1, 3, 1]  # the empty line is ignored
    first, second, after_reset = recorded_conversations
    assert second[0] == first[0] and second[1]["role"] == "assistant" and second[2]["content"] == "Raise your arms."
    assert after_reset == [{"role": "user", "content": "And now?"}]
    lines = out.splitlines()
    assert lines[0].startswith("Model: the bare backbone tiny-llama") and lines[1].startswith("Body model: Anny")
    assert [line for line in lines if line.startswith("you: ")] == ["you: Hello!", "you: Raise your arms.", "you: And now?"]
    assert sum(line.startswith("posegpt: ") for line in lines) == 3 and "[new conversation]" in lines
    assert "tok/s" not in out  # stats only with --verbose
    assert not (tmp_path / "out").exists()  # no pose, so nothing was written (and no body model was built)


def test_chat_commands_help_quit_and_verbose(tiny_backbone, tmp_path, recorded_conversations):
    code, out = _run_chat(tiny_backbone, "/help\n/dance\nHi\n/quit\nNever read.\n", tmp_path, "verbose", True)
    assert code == 0 and len(recorded_conversations) == 1
    assert "/reset starts a new conversation" in out and "[unknown command /dance;" in out
    assert "tok/s" in out and "Never read" not in out


def test_chat_saves_each_pose_as_png_and_npz_and_prints_the_paths(tiny_backbone, tmp_path, force_pose,
                                                                   recorded_conversations):
    code, out = _run_chat(tiny_backbone, "Show me a pose.\nAnother one.\n", tmp_path)
    assert code == 0
    for turn in (1, 2):
        png, npz = tmp_path / "out" / f"turn{turn}_pose1.png", tmp_path / "out" / f"turn{turn}_pose1.npz"
        assert f"[pose 1: {png}, {npz}]" in out
        assert np.asarray(Image.open(png)).shape == (512, 1024, 3)  # front + side
        pose = Pose.load_npz(npz)
        assert pose.global_orient.shape == (1, 3) and pose.body_pose.shape == (1, 69)
    assert "posegpt: [pose 1: " in out  # printed where the pose occurs: first in the reply
    assert recorded_conversations[1][1]["content"].startswith("<POSE>")  # the history keeps the marker


def test_chat_decodes_greedy_with_the_apps_repetition_penalty(tiny_backbone, tmp_path, monkeypatch):
    from posegpt.engine import CHAT_REPETITION_PENALTY, Done, Engine, GenerationStats

    seen = []

    def stream(self, messages, *args, options=None, **kwargs):
        seen.append(options)
        yield Done("", (), GenerationStats(1, 0, 0.0, 0.0, 0.0, "end"))

    monkeypatch.setattr(Engine, "stream", stream)
    assert _run_chat(tiny_backbone, "Hi\n", tmp_path)[0] == 0
    assert seen[0].temperature == 0 and seen[0].repetition_penalty == CHAT_REPETITION_PENALTY > 1


def test_chat_engine_notices_and_errors_are_marked(tiny_backbone, tmp_path, monkeypatch):
    from posegpt.engine import Done, Engine, ErrorEvent, GenerationStats, Notice, TextDelta

    def stream(self, messages, *args, **kwargs):
        yield TextDelta("Partly")
        yield Notice("history trimmed")
        yield ErrorEvent("something failed")
        yield Done("", (), GenerationStats(1, 0, 0.0, 0.0, 0.0, "end"))

    monkeypatch.setattr(Engine, "stream", stream)
    code, out = _run_chat(tiny_backbone, "Hi\n", tmp_path)
    assert code == 0
    assert "posegpt: Partly\n[note: history trimmed]\n[error: something failed]\n" in out


def test_chat_user_errors_are_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("POSEGPT_BODY_MODELS", str(tmp_path / "no_models"))
    assert main(["chat", "--body", "smpl"]) == 2
    err = capsys.readouterr().err
    assert "smpl.is.tue.mpg.de" in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2
    assert main(["chat", "--backbone", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_chat_through_a_pipe(tiny_backbone, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "posegpt", "chat", "--backbone", tiny_backbone, "--max-new-tokens", "4",
         "--out-dir", str(tmp_path / "out")],
        input="Hello!\nWhat can you do?\n", capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("posegpt: ") == 2 and "you: What can you do?" in result.stdout


@pytest.mark.parametrize(("command", "options"), [("chat", ["--out-dir", "--body", "/reset"]),
                                                  ("batch", ["--input", "--output", "--seed", '"error"'])])
def test_help(command, options, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert all(option in out for option in [*options, "--checkpoint", "--backbone", "--dtype", "--max-new-tokens"])


# --- batch with photos read as people ---------------------------------------------------------------


@pytest.fixture(scope="module")
def people_checkpoint(tiny_backbone, tmp_path_factory) -> str:
    """A saved tiny PoseGPT that reads photos as people (untrained)."""
    from posegpt.backbones import load_backbone
    from posegpt.model import PoseGPT, PoseGPTConfig
    from posegpt.vision.features import PERSON_FEATURE_DIM

    config = PoseGPTConfig(backbone=tiny_backbone, person_feature_dim=PERSON_FEATURE_DIM)
    model = PoseGPT(load_backbone(tiny_backbone), config)
    return str(model.save_pretrained(tmp_path_factory.mktemp("people") / "ckpt"))


@pytest.fixture
def scripted_people(monkeypatch):
    """BlazePose replaced by two people of known poses (tests/test_engine_photo.py), and every
    reply forced to be "<POSE>" then the end: prompts made of embeddings included."""
    import posegpt.model
    import posegpt.vision.landmarks
    from tests.test_engine_photo import ScriptedDetector, two_people

    detectors: list = []

    def detector(max_people: int):
        detectors.append(ScriptedDetector(two_people()))
        return detectors[-1]

    monkeypatch.setattr(posegpt.vision.landmarks, "LandmarkDetector", detector)
    original = posegpt.model.load_posegpt

    def load_with_pose_first(*args, **kwargs):
        model, description = original(*args, **kwargs)
        pose_id, end = model.pose_token_id, sorted(model.backbone.end_token_ids)[0]

        def hook(module, args, kwargs, output):
            inputs = kwargs.get("input_ids") if kwargs.get("input_ids") is not None else kwargs["inputs_embeds"]
            output.logits[:, -1, pose_id if inputs.shape[1] > 1 else end] = 1e4
            return output

        model.backbone.model.register_forward_hook(hook, with_kwargs=True)
        return model, description

    monkeypatch.setattr(posegpt.model, "load_posegpt", load_with_pose_first)
    return detectors


def test_batch_image_lines_give_poses_about_the_people_found(people_checkpoint, tmp_path, monkeypatch, scripted_people):
    from tests.test_engine_photo import PHOTO_SIZE, photo

    (tmp_path / "photos").mkdir()
    Image.fromarray(photo()).save(tmp_path / "photos" / "two.png")
    rgba = np.concatenate([photo(), np.full(photo().shape[:2] + (1,), 255, np.uint8)], axis=2)
    rgba[:10, :10, 3] = 0  # a transparent corner: another photo than two.png
    Image.fromarray(rgba).save(tmp_path / "photos" / "two_rgba.png")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "photos" / "tiny.png")
    (tmp_path / "photos" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    ask = [{"role": "user", "content": "What is the person on the left doing?"}]
    source = _write_jsonl(tmp_path / "in.jsonl", [
        {"id": "two", "messages": ask, "image": "photos/two.png"},
        {"id": "again", "messages": ask, "image": "photos/two.png"},
        {"id": "rgba", "messages": ask, "image": "photos/two_rgba.png"},
        {"id": "tiny", "messages": ask, "image": "photos/tiny.png"},
        {"id": "broken", "messages": ask, "image": "photos/broken.png"},
        {"id": "text", "messages": ask},
    ])
    monkeypatch.chdir(ROOT)  # image paths are relative to the input file's folder
    target = tmp_path / "out.jsonl"
    assert main(["batch", "--input", str(source), "--output", str(target), "--checkpoint", people_checkpoint, *FAST]) == 0
    two, again, rgba_record, tiny, broken, text = _read_jsonl(target)
    for record in (two, again, rgba_record):
        assert "error" not in record and record["reply"] == "<POSE>"
        assert [len(p["box"]) for p in record["people"]] == [4, 4]
        assert record["people"][0]["box"][0] < record["people"][1]["box"][0] < PHOTO_SIZE[0]  # left to right
        (pose,) = record["poses"]
        assert pose["person"] in (0, 1) and len(pose["body_pose"]) == 69
    assert again["people"] == two["people"]
    assert len(scripted_people) == 1 and len(scripted_people[0].seen) == 2  # "again" reused the reading
    assert tiny["people"] == [] and "too small" in tiny["notices"][0] and "person" not in tiny["poses"][0]
    assert "cannot read the image photos/broken.png" in broken["error"] and broken["poses"] == []
    assert "people" not in text and set(text["poses"][0]) == {"global_orient", "body_pose"}


def test_batch_people_boxes_are_in_the_input_images_pixels():
    from types import SimpleNamespace

    from posegpt.cli import _people_records
    from posegpt.photo import read_photo

    person = SimpleNamespace(landmarks=SimpleNamespace(box=(10.0, 20.0, 30.0, 40.0), score=0.81234))
    scene = SimpleNamespace(people=[person], image_size=(2048, 1024))
    photo = read_photo(np.zeros((2048, 4096, 3), np.uint8))  # the batch line's 4096 × 2048 image, scaled down
    assert photo.size == (2048, 1024)
    assert _people_records(scene, photo) == [{"box": [20.0, 40.0, 60.0, 80.0], "score": 0.812}]
