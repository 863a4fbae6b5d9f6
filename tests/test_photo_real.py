"""The default checkpoint on a real group photo, as a user of the app meets it: a question about
one player gets that player's pose, drawn over them; a question that needs no pose gets words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from posegpt.artifacts import PoseExporter
from posegpt.engine import Done, Engine, PoseEvent
from posegpt.model import load_posegpt
from posegpt.photo import Photo, read_photo
from posegpt.vision.pipeline import vision_for

PHOTO = Path("/usr/share/doc/opencv-doc/examples/data/basketball1.png")  # two players, left one catching

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(not PHOTO.exists(), reason="Debian package opencv-doc is not installed (bash .ci/setup --tests)"),
]


@pytest.fixture(scope="module")
def engine() -> Engine:
    model, _ = load_posegpt()
    assert model.reads_people, "the default checkpoint should read photos as people"
    return Engine(model.merge_for_inference(), vision=vision_for(model, cache_size=2))


@pytest.fixture(scope="module")
def exporter(anny_body):
    from posegpt.render import Renderer

    with Renderer(256, 256) as renderer:
        yield PoseExporter(anny_body, renderer)


@pytest.fixture(scope="module")
def photo() -> Photo:
    return read_photo(PHOTO)  # as the app reads an upload


def ask(engine: Engine, photo: Photo, question: str) -> list:
    return list(engine.stream([{"role": "user", "content": question}], photo, max_new_tokens=48))


@pytest.mark.parametrize(("question", "person"), [
    ("What is the pose of the person on the left?", 0),
    ("Show me the pose of the person on the right.", 1),
])
def test_the_player_asked_about_gets_the_pose(engine, exporter, photo, question, person):
    events = ask(engine, photo, question)
    poses = [e for e in events if isinstance(e, PoseEvent)]
    assert poses, events[-1].reply
    assert poses[0].person == person and f"Person {person + 1}" in events[-1].reply
    # drawn over the photo at its own size, and the head's pose was refined by that player's landmarks
    overlay = exporter.draw(poses[0].pose, photo, poses[0].person, poses[0].scene, views=False).overlay
    assert overlay is not None and overlay.shape == np.asarray(Image.open(PHOTO).convert("RGB")).shape
    assert poses[0].head_pose is not None and poses[0].scene is not None and len(poses[0].scene.people) == 2


def test_counting_needs_no_pose(engine, photo):
    events = ask(engine, photo, "How many people are in this photo?")
    done = events[-1]
    assert isinstance(done, Done) and not any(isinstance(e, PoseEvent) for e in events)
    assert "2" in done.reply or "two" in done.reply.lower()
