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
    read_upload,
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

    def stream(self, messages, photo=None, options=None):
        self.calls.append({"messages": [dict(m) for m in messages], "photo": photo, "options": options})
        if photo is not None and not self.backbone.supports_images:
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
    assert turn.text == PHOTO_ONLY_QUESTION and turn.photo_file.exists() and turn.photo.size == (40, 60)
    assert turn.notices == ["This model cannot see images yet."]
    history = session.history()
    assert history[1]["content"]["path"] == str(turn.photo_file)
    assert history[2]["metadata"] == {"title": "Note"}
    picture = Image.open(session.poses()[0].files.picture)
    assert picture.size[0] > 2 * 96  # the photo is shown beside the front and side views
    run(service.respond(session, "and now?"))  # a text-only model is not told about old photos again
    assert service.engine.calls[1]["photo"] is None


def test_vision_model_keeps_seeing_the_latest_photo(renderer, tmp_path):
    photo = tmp_path / "p.png"
    Image.fromarray(np.zeros((30, 30, 3), dtype=np.uint8)).save(photo)
    service = make_service(renderer, ["a"], ["b"], supports_images=True)
    session = service.new_session()
    run(service.respond(session, "look", photo))
    run(service.respond(session, "and the other one?"))
    assert service.engine.calls[1]["photo"] is session.turns[0].photo  # decoded once, at the upload
    assert service.engine.calls[1]["photo"].rgb.shape == (30, 30, 3)
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
    photo, saved = read_upload(path, tmp_path, "saved")
    assert photo.rgb.shape == (20, 30, 3) and photo.rgb.dtype == np.uint8
    assert Image.open(saved).mode == "RGB" and np.array_equal(np.asarray(Image.open(saved)), photo.rgb)


def test_huge_photo_is_downscaled(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (4000, 1000), (10, 200, 30)).save(path)
    photo, _ = read_upload(path, tmp_path, "saved")
    assert max(photo.rgb.shape[:2]) == MAX_IMAGE_SIDE and photo.rgb.shape[:2] == (256, 1024)
    assert photo.original_size == (4000, 1000) and photo.scale == 1024 / 4000


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


# --- photos read as people (models with a vision module) -------------------------------------------


def person_at(centre_x: float, foot_y: float, height_px: float) -> "FittedPerson":
    """A fitted person standing at (centre_x, foot_y) pixels of the photo, `height_px` tall."""
    from posegpt.render import Camera
    from posegpt.vision.people import NUM_LANDMARKS, FittedPerson, PersonLandmarks

    scale = height_px / 1.7  # pixels per metre; the hips are about 0.9 m above the feet
    box = (centre_x - 0.25 * height_px, foot_y - height_px, centre_x + 0.25 * height_px, foot_y)
    landmarks = PersonLandmarks(box, np.zeros((NUM_LANDMARKS, 2), np.float32), np.ones(NUM_LANDMARKS, np.float32),
                                np.zeros((NUM_LANDMARKS, 3), np.float32), 0.9)
    return FittedPerson(landmarks, Pose.identity(), Camera(scale, centre_x, foot_y - 0.9 * scale), 0.01)


class PeopleEngine(ScriptedEngine):
    """A scripted engine whose model reads people: a photo gives `scene`'s notices, and a script
    piece `(pose, person)` is a `<POSE>` about that person of the photo."""

    def __init__(self, scene, *scripts: list) -> None:
        super().__init__(*scripts)
        self.model = SimpleNamespace(reads_people=True)
        self.vision = object()
        self.scene = scene

    def stream(self, messages, photo=None, options=None):
        self.calls.append({"messages": [dict(m) for m in messages], "photo": photo, "options": options})
        scene = self.scene if photo is not None else None
        for notice in scene.notices if scene is not None else ():
            yield Notice(notice)
        script = self.scripts.pop(0) if self.scripts else ["Okay."]
        reply, poses, people = "", [], []
        for piece in script:
            if isinstance(piece, tuple):
                pose, person = piece
                yield TextDelta("<POSE>")
                reply += "<POSE>"
                yield PoseEvent(len(poses), pose, person=person if scene else None, scene=scene, head_pose=pose)
                poses.append(pose)
                people.append(person if scene else None)
                continue
            reply += piece
            yield TextDelta(piece)
        yield Done(reply, tuple(poses), STATS, tuple(people), scene)


def group_scene(notices=()):
    from posegpt.vision.pipeline import SceneReading

    return SceneReading([person_at(30, 150, 110), person_at(90, 150, 110)], [], (120, 160), list(notices))


def group_photo(tmp_path) -> Path:
    path = tmp_path / "group.png"
    Image.fromarray(np.full((160, 120, 3), 60, np.uint8)).save(path)
    return path


def people_service(renderer, scene, *scripts):
    return ChatService(PeopleEngine(scene, *scripts), renderer, body_model_dir=Path("/nonexistent-posegpt-body-models"))


HIGHLIGHT = np.array([255, 140, 0])


def highlighted_columns(image: np.ndarray) -> set[int]:
    """Columns of the overlay where the chosen person's orange box is drawn."""
    return set(np.nonzero((np.abs(image.astype(int) - HIGHLIGHT).sum(axis=2) < 10).any(axis=0))[0].tolist())


def test_a_pose_about_a_person_is_drawn_over_the_photo_beside_the_views(renderer, tmp_path):
    scene = group_scene()
    service = people_service(renderer, scene, ["The one on the right: ", (raised_arm(), 1)])
    assert service.reads_people and service.sees_photos and not service.supports_images
    session = service.new_session()
    run(service.respond(session, "What is the person on the right doing?", group_photo(tmp_path)))
    (record,) = session.poses()
    assert record.person == 1 and record.label == "Message 1 · pose 1 · person 2"
    overlay = np.asarray(Image.open(record.overlay))
    assert overlay.shape == (160, 120, 3)
    columns = highlighted_columns(overlay)
    x0, _, x1, _ = scene.people[1].landmarks.box
    assert columns and min(columns) >= x0 - 1 and max(columns) <= x1 + 1  # only person 2 is highlighted
    assert (overlay[40:150, 70:110] != 60).any()  # the body is drawn over them
    picture = np.asarray(Image.open(record.files.picture))
    assert picture.shape[0] == 128 and picture.shape[1] > 2 * 96  # the overlay beside front + side
    history = session.history()
    texts = [m["content"] for m in history if isinstance(m["content"], str)]
    assert any("person 2 of 2" in text and "orange box" in text for text in texts)
    image_messages = [m["content"] for m in history if isinstance(m["content"], dict)]
    assert image_messages[-1]["path"] == str(record.files.picture) and "on your photo" in image_messages[-1]["alt_text"]
    assert session.turns[0].scene is scene


def test_several_people_give_several_poses_each_highlighted(renderer, tmp_path):
    service = people_service(renderer, group_scene(), ["Left: ", (raised_arm(), 0), " right: ", (Pose.identity(), 1)])
    session = service.new_session()
    run(service.respond(session, "Show me both of them", group_photo(tmp_path)))
    records = session.poses()
    assert [r.person for r in records] == [0, 1]
    left, right = (highlighted_columns(np.asarray(Image.open(r.overlay))) for r in records)
    assert max(left) < 60 <= min(right)


def test_follow_up_questions_keep_seeing_the_photo(renderer, tmp_path):
    service = people_service(renderer, group_scene(), ["Two people."], ["Here: ", (raised_arm(), 0)])
    session = service.new_session()
    run(service.respond(session, "How many people?", group_photo(tmp_path)))
    run(service.respond(session, "And the pose of the left one?"))
    assert service.engine.calls[1]["photo"] is session.turns[0].photo
    (record,) = session.poses()
    assert record.turn == 1 and record.person == 0 and record.overlay.exists()


def test_vision_notices_are_shown_as_notes_and_the_reply_goes_on(renderer, tmp_path):
    from posegpt.vision.pipeline import SceneReading

    empty = SceneReading([], [], (120, 160), ["I found no person in this photo."])
    service = people_service(renderer, empty, ["I cannot see anyone here."])
    session = service.new_session()
    run(service.respond(session, "Who is this?", group_photo(tmp_path)))
    history = session.history()
    notes = [m for m in history if (m.get("metadata") or {}).get("title") == "Note"]
    assert [m["content"] for m in notes] == ["I found no person in this photo."]
    assert history[-1] == {"role": "assistant", "content": "I cannot see anyone here."}


def test_restyle_draws_the_overlay_again(renderer, tmp_path):
    service = people_service(renderer, group_scene(), ["Here: ", (raised_arm(), 1)])
    session = service.new_session()
    run(service.respond(session, "pose of the right one?", group_photo(tmp_path)))
    before = session.poses()[0]
    service.restyle(session, phenotype={"height": 0.5})
    after = session.poses()[0]
    assert after.person == 1 and after.overlay != before.overlay and after.overlay.exists()


def test_a_person_the_scene_does_not_have_still_gets_its_views(renderer, tmp_path):
    service = people_service(renderer, group_scene(), ["Here: ", (raised_arm(), 1)])
    service.engine.scene = replace_people(group_scene(), 1)  # the event points past the scene's people
    session = service.new_session()
    run(service.respond(session, "pose?", group_photo(tmp_path)))
    (record,) = session.poses()
    assert record.overlay is None and record.files.picture.exists()


def replace_people(scene, count: int):
    from dataclasses import replace

    people = scene.people[:count]
    return replace(scene, people=people, readings=[])


def test_a_bad_upload_mid_conversation_keeps_the_history(renderer, tmp_path):
    service = people_service(renderer, group_scene(), ["Two people."], ["Still two."])
    session = service.new_session()
    run(service.respond(session, "How many?", group_photo(tmp_path)))
    before = session.history()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(UserInputError, match="image"):
        run(service.respond(session, "and this one?", broken))
    assert session.history() == before and not session.answering
    run(service.respond(session, "How many now?"))
    assert session.turns[-1].reply == "Still two."
