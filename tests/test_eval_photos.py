"""The real-photo benchmark's pieces: the hand-label file and its loader, box matching and the
recall/precision maths, and the evaluation loop with a stand-in vision module (no model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml

from posegpt.eval.checks import CHECKS
from posegpt.eval.photo_labels import (
    LABELS,
    BoxMatch,
    LabelError,
    PhotoSource,
    iou,
    load_image,
    load_labels,
    match_boxes,
    parse_labels,
    recall_precision,
)


def _photo(**overrides) -> dict:
    photo = {
        "name": "astro",
        "source": {"python": "scikit-image", "module": "skimage", "path": "data/astronaut.png"},
        "size": [512, 512],
        "people": [{"box": [22, 14, 368, 512], "who": "the astronaut"}],
        "questions": [{"ask": "Show me the astronaut.", "person": 0, "kind": "single"}],
        "checks": [{"person": 0, "any_of": ["torso_upright"], "says": "upright"}],
    }
    photo.update(overrides)
    return photo


# --- the packaged labels -------------------------------------------------------------------------


def test_packaged_labels_meet_the_benchmark_s_size():
    photos = load_labels()
    assert len(photos) >= 20
    assert sum(len(p.questions) for p in photos) >= 60
    assert sum(len(p.people) for p in photos) >= 50
    kinds = {q.kind for p in photos for q in p.questions}
    assert {"position", "clothing", "hair", "action", "gesture", "size", "follow-up"} <= kinds
    for photo in photos:
        for check in photo.checks:
            assert set(check.any_of) <= set(CHECKS)
        for question in photo.questions:
            if question.after is not None:  # a follow-up is about another person than the question before it
                assert photo.questions[question.after].person != question.person


def test_labels_name_their_package_and_the_photo_is_found_or_skipped():
    photos = load_labels()
    assert {p.source.package for p in photos} <= {"opencv-doc", "scikit-image", "matplotlib"}
    astronaut = next(p for p in photos if p.name == "astronaut")
    image = load_image(astronaut)  # scikit-image is a test requirement
    assert image is not None and image.rgb.shape == (512, 512, 3) and image.rgb.dtype == np.uint8
    missing = PhotoSource("debian", "no-such-package", "x.jpg")
    assert missing.file() is None and "apt-get install no-such-package" in missing.install_hint()
    assert PhotoSource("python", "nothing", "x.png", module="no_such_module_here").file() is None


def test_a_crop_and_a_video_frame_are_loaded_at_the_labelled_size():
    photos = {p.name: p for p in load_labels()}
    couple, frame = photos["couple_old_photo"], photos["vtest_0200"]
    if couple.source.file() is None:
        pytest.skip("Debian package opencv-doc is not installed (bash .ci/setup --tests installs it)")
    assert load_image(couple).rgb.shape == (168, 220, 3)
    assert load_image(frame).rgb.shape == (576, 768, 3)


def test_a_photo_that_changed_size_is_an_error_not_a_silent_mismatch():
    photo = parse_labels({"photos": [_photo(size=[500, 512], people=[], questions=[], checks=[])]})[0]
    with pytest.raises(LabelError, match="512×512.*500×512"):
        load_image(photo)


# --- bad label files say what is wrong where -------------------------------------------------------


@pytest.mark.parametrize(("change", "message"), [
    ({"people": [{"box": [0, 0, 600, 100], "who": "x"}]}, r"photo 'astro'.people\[0\].box: .* outside the 512×512"),
    ({"people": [{"box": [10, 10, 5, 20], "who": "x"}]}, "x0 < x1"),
    ({"people": [{"box": [0, 0, 10, 10]}]}, r"people\[0\]: missing who"),
    ({"questions": [{"ask": "Who?", "person": 3, "kind": "single"}]}, r"questions\[0\].person: must be an index in 0..0"),
    ({"questions": [{"ask": "Who?", "person": 0, "kind": "colour"}]}, "'colour' is not one of"),
    ({"questions": [{"ask": "And him?", "person": 0, "kind": "follow-up"}]}, "follow-up question needs after"),
    ({"questions": [{"ask": "And him?", "person": 0, "kind": "follow-up", "after": 0}]}, r"after: must be an index"),
    ({"checks": [{"person": 0, "any_of": ["flying"], "says": "x"}]}, "unknown check.*flying"),
    ({"source": {"debian": "opencv-doc", "python": "x", "path": "a.jpg"}}, "exactly one package"),
    ({"source": {"debian": "opencv-doc", "path": "../../etc/passwd"}}, "must be relative"),
    ({"source": {"python": "scikit-image", "path": "a.png"}}, r"source.module: must be a non-empty string"),
    ({"size": [512]}, r"size: must be \[width, height\]"),
    ({"colour": "red"}, "unknown field.*colour"),
])
def test_bad_labels_raise_a_clear_error(change, message):
    with pytest.raises(LabelError, match=message):
        parse_labels({"photos": [_photo(**change)]})


def test_bad_label_files_raise_a_clear_error(tmp_path):
    with pytest.raises(LabelError, match="must be a non-empty list"):
        parse_labels({"photos": []})
    with pytest.raises(LabelError, match="name is used twice"):
        parse_labels({"photos": [_photo(), _photo()]})
    with pytest.raises(LabelError, match="crop's size"):
        parse_labels({"photos": [_photo(source={"debian": "opencv-doc", "path": "a.jpg", "crop": [0, 0, 100, 100]})]})
    broken = tmp_path / "labels.yaml"
    broken.write_text("photos: [\n")
    with pytest.raises(LabelError, match="not valid YAML"):
        load_labels(broken)
    with pytest.raises(LabelError, match="cannot read the label file"):
        load_labels(tmp_path / "missing.yaml")
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump({"photos": [_photo()]}))
    assert load_labels(good)[0].people[0].who == "the astronaut"


# --- matching and the maths ----------------------------------------------------------------------------


def test_iou():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0  # touching is not overlapping
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)


def test_match_boxes_is_one_to_one_and_maximises_overlap():
    truth = [(0, 0, 10, 20), (8, 0, 18, 20)]
    # found box 0 overlaps both labelled people; the best total gives it to person 0 and box 1 to person 1
    found = [(1, 0, 11, 20), (9, 0, 19, 20), (100, 100, 110, 120)]
    match = match_boxes(truth, found)
    assert match.found_for == (0, 1) and match.matched == 2 and match.counted == 3
    assert match_boxes(truth, [(0, 0, 10, 9)]).found_for == (None, None)  # IoU 0.45 < 0.5: not them
    assert match_boxes([], found).found_for == () and match_boxes(truth, []).found_for == (None, None)


def test_detections_in_an_ignore_region_count_neither_way():
    crowd = (0, 0, 100, 50)
    match = match_boxes([(40, 60, 60, 100)], [(40, 60, 60, 100), (10, 10, 30, 40), (10, 40, 30, 100)], [crowd])
    assert match.ignored == (1,)  # inside the crowd; box 2 is only a third inside: a false person
    assert match.counted == 2
    recall, precision = recall_precision([match], [1])
    assert recall == 100.0 and precision == 50.0


def test_recall_precision_over_photos():
    photos = [BoxMatch((0, None), (), 1), BoxMatch((None,), (), 2), BoxMatch((), (0,), 1)]
    recall, precision = recall_precision(photos, [2, 1, 0])
    assert recall == pytest.approx(100 / 3)  # 1 of 3 labelled people found
    assert precision == pytest.approx(100 / 3)  # 1 of 3 counted detections (the ignored one left out)
    assert recall_precision([BoxMatch((), (), 0)], [0]) == (None, None)


# --- the evaluation loop with a stand-in vision module ----------------------------------------------------


@dataclass
class _Landmarks:
    box: tuple[float, float, float, float]


@dataclass
class _Person:
    landmarks: _Landmarks
    pose: object = None


@dataclass
class _Reading:
    def describe(self) -> str:
        return "on the left"


@dataclass
class _Scene:
    people: list
    readings: list
    timings_s: dict = field(default_factory=lambda: {"detect": 0.5, "fit": 0.1, "appearance": 0.0, "read": 0.0})
    notices: list = field(default_factory=list)


class _Finder:
    """Finds the astronaut plus one thing that is nobody."""

    def find(self, image):
        return _Scene([_Person(_Landmarks((25, 20, 360, 512))), _Person(_Landmarks((400, 0, 500, 100)))],
                      [_Reading(), _Reading()])


def test_evaluate_counts_people_and_stage_times_without_a_model(tmp_path):
    from posegpt.eval.photos import evaluate, report

    labels = tmp_path / "labels.yaml"
    photo = _photo(checks=[])
    missing = _photo(name="gone", source={"debian": "no-such-package", "path": "a.jpg"})
    labels.write_text(yaml.safe_dump({"photos": [photo, missing]}))
    summary, records = evaluate(load_labels(labels), _Finder(), None, tmp_path / "out", progress=False)
    overall = summary["detection"]["all"]
    assert overall["recall_pct"] == 100.0 and overall["precision_pct"] == 50.0
    assert summary["missing"] == ["gone: Debian package no-such-package is not installed (apt-get install no-such-package)"]
    assert summary["questions"]["all"]["target_detected_pct"] == 100.0
    assert summary["seconds"]["detect_mean"] == 0.5
    assert (tmp_path / "out" / "photos" / "astro.png").is_file()
    table = report(summary, records, "header", asked=False)
    assert "| all | 1 | 1 | 2 | 1 | 100.0 | 50.0 |" in table and "no-such-package" in table


def test_run_with_a_bad_label_file_says_so(tmp_path, capsys):
    from posegpt.eval.photos import run

    labels = tmp_path / "labels.yaml"
    labels.write_text(yaml.safe_dump({"photos": [_photo(size=[0, 5])]}))
    assert run(labels=labels, output=tmp_path / "out", detection_only=True) == 2
    assert "size: must be [width, height]" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_labels_file_is_the_packaged_one():
    assert LABELS == Path(__file__).parents[1] / "posegpt" / "eval" / "data" / "real_photos.yaml"
