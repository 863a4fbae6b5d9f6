"""The web chat's logic (demo/chat.py) with a scripted engine: no Gradio, no language model."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from demo.chat import (
    ANSWERING_ALREADY,
    MAX_IMAGE_SIDE,
    MAX_MESSAGE_CHARS,
    PHOTO_ONLY_QUESTION,
    ChatService,
    UserInputError,
    load_photo,
)
from posegpt.engine import Done, ErrorEvent, GenerationStats, Notice, PoseEvent, TextDelta
from posegpt.pose import Pose
from posegpt.render import Renderer

STATS = GenerationStats(1, 1, 0.0, 0.0, 0.0, "end")


def raised_arm() -> Pose:
    axis_angle = np.zeros((24, 3), dtype=np.float32)
    axis_angle[16] = [0.0, 0.0, 2.4]  # left shoulder: arm up
    return Pose.from_axis_angle(axis_angle)


class ScriptedEngine:
    """Answers every message with the next script: a list of reply pieces, where a `Pose` stands
    for a `<POSE>` and an Exception is raised at that point. Records what it was asked."""

    def __init__(self, *scripts: list, supports_images: bool = False) -> None:
        self.scripts = list(scripts)
        self.calls: list[dict] = []
        self.backbone = SimpleNamespace(supports_images=supports_images, name="scripted")

    def stream(self, messages, image=None, options=None):
        self.calls.append({"messages": [dict(m) for m in messages], "image": image, "options": options})
        if image is not None and not self.backbone.supports_images:
            yield Notice("This model cannot see images yet.")
        script = self.scripts.pop(0) if self.scripts else ["Okay."]
        reply, poses = "", []
        for piece in script:
            if isinstance(piece, Exception):
                raise piece
            if isinstance(piece, ErrorEvent):
                reply += "<POSE>"
                yield TextDelta("<POSE>")
                yield piece
                continue
            if isinstance(piece, Pose):
                yield TextDelta("<POSE>")
                reply += "<POSE>"
                yield PoseEvent(len(poses), piece)
                poses.append(piece)
                continue
            reply += piece
            yield TextDelta(piece)
        yield Done(reply, tuple(poses), STATS)


@pytest.fixture(scope="module")
def renderer():
    with Renderer(width=96, height=128) as shared:
        yield shared


def make_service(renderer, *scripts, supports_images=False, body_dir=None):
    return ChatService(ScriptedEngine(*scripts, supports_images=supports_images), renderer,
                       body_model_dir=body_dir or Path("/nonexistent-posegpt-body-models"))


def run(stream):
    """Drain a reply stream; → how many updates it gave."""
    return sum(1 for _ in stream)


def test_reply_with_a_pose_shows_its_picture_in_place_of_the_marker(renderer):
    service = make_service(renderer, ["Here you go: ", raised_arm(), " Arm up!"])
    session = service.new_session()
    updates = run(service.respond(session, "Raise your left arm"))
    assert updates >= 4  # the user's message, then every streamed piece
    history = session.history()
    assert [m["role"] for m in history] == ["user", "assistant", "assistant", "assistant"]
    assert history[0]["content"] == "Raise your left arm"
    assert history[1]["content"] == "Here you go:"
    picture = Path(history[2]["content"]["path"])
    assert picture.suffix == ".png" and picture.exists() and picture.parent == session.folder
    assert Image.open(picture).size == (2 * 96, 128)  # front + side
    assert history[3]["content"] == "Arm up!"
    (record,) = session.poses()
    assert record.files.glb.exists() and record.files.obj.exists() and record.files.npz.exists()
    assert np.allclose(Pose.load_npz(record.files.npz).axis_angle(), raised_arm().axis_angle(), atol=1e-5)
    assert session.model_messages()[-1] == {"role": "user", "content": "Raise your left arm"}
    session.close()
    assert not session.folder.exists()


def test_later_turns_see_the_raw_replies_and_several_poses_stay_in_order(renderer):
    first, second = raised_arm(), Pose.identity()
    service = make_service(renderer, ["A ", first, " then ", second, "."], ["Sure."])
    session = service.new_session()
    run(service.respond(session, "Two poses please"))
    run(service.respond(session, "Thanks"))
    asked = service.engine.calls[1]["messages"]
    assert asked == [
        {"role": "user", "content": "Two poses please"},
        {"role": "assistant", "content": "A <POSE> then <POSE>."},
        {"role": "user", "content": "Thanks"},
    ]
    kinds = [type(m["content"]).__name__ for m in session.history()]
    assert kinds == ["str", "str", "dict", "str", "dict", "str", "str", "str"]
    labels = [r.label for r in session.poses()]
    assert labels == ["Message 1 · pose 1", "Message 1 · pose 2"]


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_message_is_refused_and_nothing_changes(renderer, text):
    service = make_service(renderer)
    session = service.new_session()
    with pytest.raises(UserInputError, match="Type a message"):
        run(service.respond(session, text))
    assert session.turns == [] and not session.answering
    run(service.respond(session, "hello"))  # the session goes on
    assert len(session.turns) == 1


def test_too_long_message_is_refused(renderer):
    service = make_service(renderer)
    session = service.new_session()
    with pytest.raises(UserInputError, match="limit"):
        run(service.respond(session, "x" * (MAX_MESSAGE_CHARS + 1)))
    assert session.turns == []


def test_second_message_while_answering_is_refused_and_stop_frees_the_session(renderer):
    service = make_service(renderer, ["one ", "two ", "three"], ["again"])
    session = service.new_session()
    first = service.respond(session, "first")
    next(first)
    next(first)  # mid-reply
    with pytest.raises(UserInputError, match="Still answering"):
        run(service.respond(session, "second"))
    assert ANSWERING_ALREADY
    with pytest.raises(UserInputError):
        service.undo(session)
    service.stop(session)
    assert not session.answering
    run(first)  # the stopped stream ends at its next event without adding more
    assert session.turns[0].reply in ("", "one ")
    run(service.respond(session, "next"))
    assert session.turns[-1].reply == "again" and not session.answering


def test_engine_failure_becomes_a_note_and_the_session_goes_on(renderer):
    service = make_service(renderer, ["Let me ", RuntimeError("out of memory")], ["Fine now."])
    session = service.new_session()
    run(service.respond(session, "pose?"))
    turn = session.turns[0]
    assert turn.complete and "out of memory" in turn.errors[0] and "retry" in turn.errors[0]
    assert session.history()[-1]["metadata"] == {"title": "Problem"}
    run(service.retry(session))
    assert session.turns[0].reply == "Fine now." and session.turns[0].errors == []


def test_a_pose_that_fails_to_decode_is_reported_in_place(renderer):
    service = make_service(renderer, ["Here: ", ErrorEvent("pose 1 could not be decoded"), " sorry."])
    session = service.new_session()
    run(service.respond(session, "pose?"))
    contents = [m["content"] for m in session.history()]
    assert "(pose 1 could not be shown)" in contents
    assert "pose 1 could not be decoded" in contents


def test_undo_retry_clear(renderer):
    service = make_service(renderer, ["a"], ["b"], ["c"], ["d"])
    session = service.new_session()
    run(service.respond(session, "one"))
    run(service.respond(session, "two"))
    service.undo(session)
    assert [t.text for t in session.turns] == ["one"]
    run(service.retry(session))
    assert session.turns[0].reply == "c"
    service.clear(session)
    assert session.turns == [] and session.history() == []
    with pytest.raises(UserInputError, match="nothing to retry"):
        run(service.retry(session))


def test_photo_with_text_only_model_is_shown_and_the_reply_says_it_cannot_see(renderer, tmp_path):
    photo = tmp_path / "people.jpg"
    Image.fromarray(np.full((60, 40, 3), 120, dtype=np.uint8)).save(photo)
    service = make_service(renderer, ["Here: ", raised_arm()], ["ok"])
    session = service.new_session()
    run(service.respond(session, None, photo))  # a photo alone asks the default question
    turn = session.turns[0]
    assert turn.text == PHOTO_ONLY_QUESTION and turn.photo.exists()
    assert turn.notices == ["This model cannot see images yet."]
    history = session.history()
    assert history[1]["content"]["path"] == str(turn.photo)
    assert history[2]["metadata"] == {"title": "Note"}
    picture = Image.open(session.poses()[0].files.picture)
    assert picture.size[0] > 2 * 96  # the photo is shown beside the front and side views
    run(service.respond(session, "and now?"))  # a text-only model is not told about old photos again
    assert service.engine.calls[1]["image"] is None


def test_vision_model_keeps_seeing_the_latest_photo(renderer, tmp_path):
    photo = tmp_path / "p.png"
    Image.fromarray(np.zeros((30, 30, 3), dtype=np.uint8)).save(photo)
    service = make_service(renderer, ["a"], ["b"], supports_images=True)
    session = service.new_session()
    run(service.respond(session, "look", photo))
    run(service.respond(session, "and the other one?"))
    assert service.engine.calls[1]["image"].shape == (30, 30, 3)
    assert session.turns[0].notices == []


@pytest.mark.parametrize("mode", ["RGBA", "L", "P", "I;16", "LA", "CMYK", "1"])
def test_photos_of_any_mode_become_rgb(tmp_path, mode):
    source = Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8))
    image = source.convert("RGBA" if mode == "LA" else mode) if mode not in ("I;16", "LA") else None
    if mode == "I;16":
        image = Image.fromarray(np.arange(600, dtype=np.uint16).reshape(20, 30) * 100)
    elif mode == "LA":
        image = source.convert("LA")
    path = tmp_path / f"photo.{'tiff' if mode in ('I;16', 'CMYK') else 'png'}"
    image.save(path)
    saved, array = load_photo(path, tmp_path, "saved")
    assert array.shape == (20, 30, 3) and array.dtype == np.uint8
    assert Image.open(saved).mode == "RGB"


def test_huge_photo_is_downscaled(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (4000, 1000), (10, 200, 30)).save(path)
    _, array = load_photo(path, tmp_path, "saved")
    assert max(array.shape[:2]) == MAX_IMAGE_SIDE and array.shape[:2] == (256, 1024)


@pytest.mark.parametrize("content", [b"this is not an image", b"\x89PNG\r\n\x1a\n broken", b""])
def test_unreadable_upload_is_refused_with_a_message(renderer, tmp_path, content):
    path = tmp_path / "upload.png"
    path.write_bytes(content)
    service = make_service(renderer)
    session = service.new_session()
    with pytest.raises(UserInputError, match="image"):
        run(service.respond(session, "who is this?", path))
    assert session.turns == [] and not session.answering


def test_restyle_draws_again_without_asking_the_model(renderer):
    service = make_service(renderer, ["Here: ", raised_arm()])
    session = service.new_session()
    run(service.respond(session, "arm up"))
    before = session.poses()[0].files
    calls = len(service.engine.calls)
    service.restyle(session, phenotype={"height": 0.5})  # the default rig: no Anny build needed
    after = session.poses()[0].files
    assert len(service.engine.calls) == calls
    assert after.picture != before.picture and after.picture.exists()  # a new name: no stale browser cache
    assert session.poses()[0].pose.phenotype == {"height": 0.5}
    with pytest.raises(UserInputError, match="not available"):
        service.restyle(session, body="smpl")
    with pytest.raises(UserInputError, match="unknown phenotype"):
        service.restyle(session, phenotype={"wingspan": 0.3})


def test_body_kinds_list_smpl_only_when_its_files_exist(renderer, tmp_path):
    service = make_service(renderer, body_dir=tmp_path)
    assert service.body_kinds() == ["anny"] and service.default_body == "anny"
