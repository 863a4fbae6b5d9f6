"""The engine's photo path: a photo → people in the prompt → `<POSE>` → chosen person, refined pose,
drawn over the photo by the exporter — with a tiny random people-reading model and a scripted
detector (no BlazePose, no LLM).

The detector returns BlazePose-like landmarks of known poses (`synthetic_landmarks`) projected
into the photo, so the refinement can be checked against the truth. The tiny model is untrained:
a forward hook scripts which tokens it "chooses" (`<POSE>`, text, end), so every branch is reached.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image
from tiny_models import save_tiny_llama, tiny_people_model

from posegpt.backbones import load_backbone
from posegpt.data.named_poses import named_pose
from posegpt.engine import Done, Engine, ErrorEvent, Notice, PoseEvent, TextDelta
from posegpt.model import PoseGPT, PoseGPTConfig
from posegpt.pose import Pose, forward_kinematics
from posegpt.tokens import PERSON_TOKEN
from posegpt.vision.fit import synthetic_landmarks
from posegpt.vision.people import PersonLandmarks
from posegpt.photo import MAX_PHOTO_SIDE, Photo, read_photo
from posegpt.vision.pipeline import PersonFinder

QUESTION = [{"role": "user", "content": "What is the pose of the man on the left?"}]
PHOTO_SIZE = (320, 240)  # width, height
PIXELS_PER_METRE = 80.0


def project(pose: Pose, centre_x: float, foot_y: float, score: float = 0.9) -> PersonLandmarks:
    """The landmarks a perfect detector reports for `pose` standing at (centre_x, foot_y) pixels."""
    world, visibility = synthetic_landmarks(pose.rotation_matrices())  # (1, 33, 3), (1, 33)
    points = world[0].numpy()  # (33, 3) metres, +y up
    u = PIXELS_PER_METRE * points[:, 0] + centre_x
    v = -PIXELS_PER_METRE * (points[:, 1] - points[:, 1].min()) + foot_y
    image_points = np.stack([u, v], axis=1).astype(np.float32)  # (33, 2)
    box = (float(u.min()), float(v.min()), float(u.max()), float(v.max()))
    return PersonLandmarks(box, image_points, visibility[0].numpy().astype(np.float32),
                           points.astype(np.float32), score)


class ScriptedDetector:
    """`.detect(rgb)` → the given people; records every image it was shown."""

    def __init__(self, people: list[PersonLandmarks] | Exception) -> None:
        self.people = people
        self.seen: list[np.ndarray] = []

    def detect(self, rgb: np.ndarray) -> list[PersonLandmarks]:
        self.seen.append(rgb)
        if isinstance(self.people, Exception):
            raise self.people
        return list(self.people)


TRUTH = {"left": named_pose("arms_up"), "right": named_pose("squat")}


def two_people() -> list[PersonLandmarks]:
    # deliberately given right to left: the finder must sort them
    return [project(TRUTH["right"], 230, 220), project(TRUTH["left"], 90, 220)]


def photo() -> np.ndarray:
    """Light grey, with each person's torso (shoulders to hips) painted: left red, right blue."""
    image = np.full((PHOTO_SIZE[1], PHOTO_SIZE[0], 3), 200, np.uint8)
    right, left = two_people()
    for person, colour in ((left, (200, 30, 35)), (right, (35, 70, 190))):
        torso = person.image_points[[11, 12, 23, 24]]  # (4, 2) shoulders and hips
        (x0, y0), (x1, y1) = torso.min(0).astype(int) - 4, torso.max(0).astype(int) + 4
        image[y0:y1, x0:x1] = colour
    return image


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> PoseGPT:
    return tiny_people_model(tmp_path_factory.mktemp("tiny_people"))


@pytest.fixture
def script(model):
    """`script(tokens)`: the model's next forward passes put these token ids first (then the end
    token), whatever its random weights say. Token names: "pose", "end", or a text token id."""
    end = sorted(model.backbone.end_token_ids)[0]
    queue: list[int] = []

    def hook(module, args, kwargs, output):
        token = queue.pop(0) if queue else end
        output.logits[:, -1, token] = 1e4
        return output

    handle = model.backbone.model.register_forward_hook(hook, with_kwargs=True)
    text_id = model.tokenizer("Here", add_special_tokens=False)["input_ids"][0]

    def set_script(*tokens: str | int) -> None:
        names = {"pose": model.pose_token_id, "end": end, "text": text_id}
        queue[:] = [names.get(t, t) if isinstance(t, str) else t for t in tokens]

    yield set_script
    handle.remove()


@pytest.fixture
def prompts(monkeypatch):
    """The message lists the engine encodes, in call order."""
    seen: list[list] = []
    original = Engine._encode

    def encode(self, messages, pixels):
        seen.append(list(messages))
        return original(self, messages, pixels)

    monkeypatch.setattr(Engine, "_encode", encode)
    return seen


def run(engine: Engine, photo, messages=QUESTION, **options):
    events = list(engine.stream(messages, photo, max_new_tokens=options.pop("max_new_tokens", 6), **options))
    assert isinstance(events[-1], Done) and sum(isinstance(e, Done) for e in events) == 1
    return events


def mpjpe_mm(a: Pose, b: Pose) -> float:
    joints_a = forward_kinematics(a.rotation_matrices())[1]
    joints_b = forward_kinematics(b.rotation_matrices())[1]
    return float((joints_a - joints_b).norm(dim=-1).mean()) * 1000


def test_people_reach_the_prompt_and_a_pose_is_about_one_of_them(model, script, prompts, anny_body):
    from posegpt.artifacts import PoseExporter
    from posegpt.render import Renderer

    detector = ScriptedDetector(two_people())
    script("pose", "end")
    picture = read_photo(photo())
    events = run(Engine(model, vision=PersonFinder(detector)), picture)
    # the people block went into the user's message, left to right, with their placeholders
    content = prompts[-1][-1].content
    assert content.startswith("[Photo: 2 people]\nPerson 1: on the left") and "Person 2: on the right" in content
    assert content.endswith(QUESTION[0]["content"])
    assert content.count(PERSON_TOKEN) == 2 * model.config.tokens_per_person
    assert "red top" in content and "blue top" in content  # appearance read from the photo
    done = events[-1]
    assert done.stats.prompt_tokens > 2 * model.config.tokens_per_person
    (event,) = [e for e in events if isinstance(e, PoseEvent)]
    assert event.person in (0, 1) and done.pose_people == (event.person,)
    assert done.scene is event.scene and len(done.scene.people) == 2
    assert event.camera == done.scene.people[event.person].camera
    assert done.scene.image_size == picture.size  # the people are in the photo's own pixels
    # the exporter draws the event: the body over the person it is about, in the photo given
    with Renderer(width=64, height=64) as renderer:
        drawing = PoseExporter(anny_body, renderer).draw(event.pose, picture, event.person, event.scene)
    assert drawing.overlay.shape == (PHOTO_SIZE[1], PHOTO_SIZE[0], 3) and drawing.overlay.dtype == np.uint8
    assert not np.array_equal(drawing.overlay, photo())  # the body and boxes were drawn
    # the landmark fit pulled the head's (untrained, near rest) pose towards the person's real pose
    truth = TRUTH["left" if event.person == 0 else "right"]
    assert mpjpe_mm(event.head_pose, event.pose) > 20
    assert mpjpe_mm(event.pose, truth) < 0.5 * mpjpe_mm(event.head_pose, truth)


def test_a_reply_about_the_person_the_words_single_out_names_them(model, script):
    engine = Engine(model, vision=PersonFinder(ScriptedDetector(two_people())))
    lead = model.tokenizer.encode("Person 1 (on the left):", add_special_tokens=False)
    script(*(["text"] * len(lead)), "pose", "end")  # the LLM would write other words before its pose
    events = run(engine, photo(), max_new_tokens=len(lead) + 4)
    (pose,) = [e for e in events if isinstance(e, PoseEvent)]
    assert events[-1].reply.startswith("Person 1 (on the left):") and pose.person == 0
    script(*(["text"] * len(lead)), "pose", "end")
    asked = [{"role": "user", "content": "What are they doing?"}]  # no one singled out: the LLM's own words
    assert not run(engine, photo(), asked, max_new_tokens=len(lead) + 4)[-1].reply.startswith("Person 1")
    script("end")
    assert run(engine, photo(), max_new_tokens=len(lead))[-1].reply == "<POSE>"  # no room for the label: the pose alone


def test_several_poses_each_get_a_person(model, script):
    script("pose", "text", "pose", "end")
    asked = [{"role": "user", "content": "What are they doing?"}]  # no one singled out: the LLM's words as they come
    events = run(Engine(model, vision=PersonFinder(ScriptedDetector(two_people()))), photo(), asked)
    poses = [e for e in events if isinstance(e, PoseEvent)]
    assert [p.index for p in poses] == [0, 1] and all(p.person in (0, 1) for p in poses)
    assert events[-1].pose_people == tuple(p.person for p in poses)
    assert all(p.scene is events[-1].scene for p in poses)  # what the exporter needs to draw them


def test_no_person_gives_a_notice_and_a_text_answer(model, script, prompts):
    script("text", "end")
    events = run(Engine(model, vision=PersonFinder(ScriptedDetector([]))), photo())
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and "found no person" in notices[0]
    assert prompts[-1][-1].content.startswith("[Photo: no people found]\n")
    assert events[-1].reply and not events[-1].poses and events[-1].scene.people == []
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == events[-1].reply


def test_a_pose_without_people_has_no_person(model, script):
    script("pose", "end")
    events = run(Engine(model, vision=PersonFinder(ScriptedDetector([]))), photo())
    (event,) = [e for e in events if isinstance(e, PoseEvent)]
    assert event.person is None and event.head_pose is None and event.scene is None
    assert events[-1].pose_people == (None,)


def test_too_many_people_keeps_the_largest_and_says_so(model, script, prompts):
    small = project(named_pose("stand"), 160, 120)
    small = PersonLandmarks((150, 60, 170, 120), small.image_points, small.visibility, small.world_points, 0.9)
    script("end")
    events = run(Engine(model, vision=PersonFinder(ScriptedDetector([small, *two_people()]), max_people=2)), photo())
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert notices == ["I found 3 people; I look at the 2 largest of them."]
    assert prompts[-1][-1].content.startswith("[Photo: 2 people]")
    boxes = [p.landmarks.box for p in events[-1].scene.people]
    assert all(box != small.box for box in boxes)


def truncated_png() -> Image.Image:
    buffer = io.BytesIO()
    Image.fromarray(photo()).save(buffer, format="PNG")
    return Image.open(io.BytesIO(buffer.getvalue()[:300]))  # opens lazily; decoding fails


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("not an image", "does not exist"),
        (np.zeros((40, 40, 5), np.uint8), "(H, W, 3)"),
        (np.zeros((0, 0, 3), np.uint8), "no pixels"),
        (np.ones((40, 40), np.complex64), "numeric pixels"),
        (truncated_png, "damaged"),
    ],
    ids=["missing-file", "five-channels", "empty", "complex", "truncated-png"],
)
def test_what_is_not_an_image_gives_a_clear_error_and_the_reply_goes_on(model, script, image, message):
    detector = ScriptedDetector(two_people())
    engine = Engine(model, vision=PersonFinder(detector))
    script("text", "end")
    events = run(engine, image() if callable(image) else image)
    errors = [e.message for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and "could not be read" in errors[0] and message in errors[0]
    assert "from your text only" in errors[0]
    assert events[-1].reply and events[-1].scene is None and detector.seen == []
    script("pose", "end")  # the same engine goes on with a good photo
    assert run(engine, photo())[-1].pose_people[0] in (0, 1)


def test_a_photo_made_at_the_edge_is_not_decoded_again(model, script, monkeypatch):
    import posegpt.photo

    picture = read_photo(photo())
    monkeypatch.setattr(posegpt.photo, "_from_array", lambda *a, **k: pytest.fail("decoded a second time"))
    detector = ScriptedDetector(two_people())
    script("pose", "end")
    events = run(Engine(model, vision=PersonFinder(detector)), picture)
    assert isinstance(picture, Photo) and len(events[-1].scene.people) == 2
    assert np.shares_memory(detector.seen[0], picture.rgb)  # the detector saw the photo's own pixels


def test_tiny_and_thin_images_are_answered_with_a_notice(model, script):
    detector = ScriptedDetector(two_people())
    engine = Engine(model, vision=PersonFinder(detector))
    for image, words in [(np.zeros((8, 8, 3), np.uint8), "too small"), (np.zeros((40, 1200, 3), np.uint8), "thin strip")]:
        script("text", "end")
        events = run(engine, image)
        notices = [e.message for e in events if isinstance(e, Notice)]
        assert len(notices) == 1 and words in notices[0] and events[-1].reply
    assert detector.seen == []  # never sent to the detector


def test_huge_photos_are_scaled_down_first(model, script):
    detector = ScriptedDetector([])
    script("end")
    events = run(Engine(model, vision=PersonFinder(detector)), np.zeros((3000, 5000, 3), np.uint8))
    (seen,) = detector.seen
    assert seen.shape == (round(3000 * MAX_PHOTO_SIDE / 5000), MAX_PHOTO_SIDE, 3)
    assert events[-1].scene.image_size == (MAX_PHOTO_SIDE, seen.shape[0])


@pytest.mark.parametrize("kind", ["grey-array", "grey-pil", "rgba-pil", "rgba-array", "float", "uint16", "bool"])
def test_any_common_image_layout_reaches_the_detector_as_rgb(model, script, kind):
    base = photo()
    grey = base[:, :, 0]
    rgba = np.concatenate([base, np.full(base.shape[:2] + (1,), 255, np.uint8)], axis=2)
    rgba[:10, :10, 3] = 0  # a transparent corner becomes white
    image = {
        "grey-array": grey, "grey-pil": Image.fromarray(grey), "rgba-pil": Image.fromarray(rgba), "rgba-array": rgba,
        "float": base.astype(np.float32) / 255.0, "uint16": base.astype(np.uint16) * 257, "bool": grey > 100,
    }[kind]
    detector = ScriptedDetector(two_people())
    script("end")
    events = run(Engine(model, vision=PersonFinder(detector)), image)
    (seen,) = detector.seen
    assert seen.shape == (PHOTO_SIZE[1], PHOTO_SIZE[0], 3) and seen.dtype == np.uint8
    assert not any(isinstance(e, ErrorEvent) for e in events) and len(events[-1].scene.people) == 2
    if kind.startswith("rgba"):
        assert (seen[:10, :10] == 255).all() and (seen[50:, 50:] == base[50:, 50:]).all()
    if kind in ("float", "uint16"):
        assert np.abs(seen.astype(int) - base).max() <= 1


def test_a_failing_detector_is_reported_and_the_reply_goes_on(model, script):
    script("text", "end")
    events = run(Engine(model, vision=PersonFinder(ScriptedDetector(RuntimeError("mediapipe is missing")))), photo())
    errors = [e.message for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and "RuntimeError: mediapipe is missing" in errors[0] and events[-1].reply


def test_without_a_vision_module_the_photo_is_set_aside(model, script):
    script("text", "end")
    events = run(Engine(model), photo())
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and "no vision module" in notices[0] and events[-1].scene is None


def test_a_refit_that_fails_keeps_the_head_pose(model, script, monkeypatch):
    finder = PersonFinder(ScriptedDetector(two_people()))
    monkeypatch.setattr(finder, "refine", lambda person, pose: (_ for _ in ()).throw(ValueError("too few landmarks")))
    script("pose", "end")
    (event,) = [e for e in run(Engine(model, vision=finder), photo()) if isinstance(e, PoseEvent)]
    assert event.person in (0, 1) and torch.equal(event.pose.rotation_matrices(), event.head_pose.rotation_matrices())


def test_the_finder_cache_skips_detection_for_the_same_photo():
    detector = ScriptedDetector(two_people())
    finder = PersonFinder(detector, cache_size=2)
    first = finder.find(photo())
    first.notices.append("edited by a caller")
    again = finder.find(photo())
    assert len(detector.seen) == 1 and again.timings_s == {"cached": 0.0}
    assert again.notices == [] and [p.landmarks.box for p in again.people] == [p.landmarks.box for p in first.people]
    finder.find(photo()[::-1].copy())
    finder.find(np.zeros((20, 20, 3), np.uint8))  # too small: answered before detection
    finder.find(photo())
    assert len(detector.seen) == 2  # the photo was still cached (the tiny one was not detected at all)
    with pytest.raises(ValueError, match="cache_size"):
        PersonFinder(detector, cache_size=-1)


def test_the_web_chat_shows_the_chosen_person_over_the_photo(model, script, tmp_path):
    """demo/chat.py with this engine: upload → people → pose → overlay beside the views, history kept."""
    from demo.chat import ChatService
    from posegpt.render import Renderer

    path = tmp_path / "two.png"
    Image.fromarray(photo()).save(path)
    detector = ScriptedDetector(two_people())
    with Renderer(width=64, height=96) as renderer:
        service = ChatService(Engine(model, vision=PersonFinder(detector, cache_size=4)), renderer,
                              body_model_dir=tmp_path / "no-smpl")
        session = service.new_session()
        script("pose", "end")
        for _ in service.respond(session, "Show me the person on the right.", path):
            pass
        script("text", "pose", "end")
        for _ in service.respond(session, "And now the other one?"):  # the follow-up sees the photo again
            pass
    first, second = session.poses()
    assert first.person in (0, 1) and second.person in (0, 1) and second.turn == 1
    for record in (first, second):
        assert Image.open(record.overlay).size == PHOTO_SIZE
        assert Image.open(record.files.picture).size[0] > 2 * 64  # overlay beside front + side
    assert len(detector.seen) == 1  # the cached reading answered the follow-up
    assert [t.errors for t in session.turns] == [[], []]
    assert session.model_messages()[-1]["content"] == "And now the other one?"  # no people block in the history


def test_only_models_that_read_people_get_a_vision_module(model, tmp_path):
    from posegpt.vision.pipeline import vision_for

    finder = vision_for(model, cache_size=3)
    assert isinstance(finder, PersonFinder) and finder.cache_size == 3
    assert finder._detector is None  # BlazePose is built with the first photo, not at start-up
    folder = save_tiny_llama(tmp_path / "text")
    text_only = PoseGPT(load_backbone(str(folder)), PoseGPTConfig(backbone=str(folder)))
    assert vision_for(text_only) is None


@pytest.mark.parametrize("messages, person", [
    ([{"role": "user", "content": "What is the pose of the person in the blue top?"}], 1),  # the words decide
    ([{"role": "user", "content": "What is the pose of this one?"}], 0),  # no evidence: the pointer decides
    ([{"role": "user", "content": "Show me the one on the left."}, {"role": "assistant", "content": "Person 1: <POSE>"},
      {"role": "user", "content": "And the other one?"}], 1),  # a follow-up: the person not picked before
])
def test_the_referring_resolver_decides_when_the_words_are_clear(model, script, monkeypatch, messages, person):
    # the pointer always prefers person 1 (index 0, the left one, in a red top)
    monkeypatch.setattr(model, "point", lambda hidden, people: torch.tensor([5.0, 0.0], device=people.device))
    script("pose", "end")
    events = run(Engine(model, vision=PersonFinder(ScriptedDetector(two_people()))), photo(), messages=messages)
    (event,) = [e for e in events if isinstance(e, PoseEvent)]
    assert event.person == person


@pytest.mark.parametrize("tokens", [("text", "end"), ("text",) * 10])
def test_a_question_that_singles_someone_out_always_gets_their_pose(model, script, tokens):
    # the LLM would only talk (then end, or run out of tokens): the last token becomes <POSE>
    script(*tokens)
    engine = Engine(model, vision=PersonFinder(ScriptedDetector(two_people())))
    messages = [{"role": "user", "content": "What is the pose of the person in the blue top?"}]
    events = run(engine, photo(), messages=messages)
    (event,) = [e for e in events if isinstance(e, PoseEvent)]
    assert event.person == 1 and events[-1].reply.endswith("<POSE>")
    # words that single nobody out leave the reply as the model writes it
    script(*tokens)
    events = run(engine, photo(), messages=[{"role": "user", "content": "How many people are there?"}])
    assert not [e for e in events if isinstance(e, PoseEvent)]
