"""Hand labels of real photos that ship inside packages, and the one loader that checks them.

The photos themselves are not copied into this repository: each label names where the photo
lies — a Debian package and the path inside it (`/usr/share/doc/PACKAGE/...`), or a Python
package and the path inside its installed folder — plus, for a video, the frame, and for a
picture that shows several versions side by side, the crop that is the photo. `load_image`
finds it on this machine and returns None when its package is not installed, so the benchmark
can skip it and say why.

The labels (`data/real_photos.yaml`) were made by looking at each photo: a box around every
person whose head and shoulders are visible, referring questions in people's words with the
person they mean, and pose statements that are plainly true. `load_labels` is the one place
that reads that file; a label that breaks a rule raises `LabelError` naming the photo and field.

Boxes are x0, y0, x1, y1 in pixels of the photo as loaded (after the crop): the person's
visible extent, head top to the lowest visible part, arm to arm.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from posegpt.eval.checks import CHECKS

if TYPE_CHECKING:
    from posegpt.photo import Photo

LABELS = Path(__file__).with_name("data") / "real_photos.yaml"
DEBIAN_DOC = Path("/usr/share/doc")  # Debian packages' documentation and examples live here
QUESTION_KINDS = ("position", "clothing", "hair", "action", "gesture", "size", "follow-up", "single")
SOURCE_KINDS = ("debian", "python")

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 pixels


class LabelError(ValueError):
    """The label file breaks a rule; the message names the photo and the field."""


@dataclass(frozen=True)
class PhotoSource:
    """Where a photo lies: a file inside an installed package (+ a video frame, + a crop)."""

    kind: str  # "debian" (a file under /usr/share/doc/PACKAGE) or "python" (inside an installed module)
    package: str  # the package to install: "opencv-doc", "scikit-image", "matplotlib"
    path: str  # inside the package: relative to /usr/share/doc/PACKAGE, or to the module's folder
    module: str = ""  # for python sources: the import name whose folder holds `path` ("skimage")
    frame: int | None = None  # for a video: the frame index (0-based)
    crop: tuple[int, int, int, int] | None = None  # x0, y0, x1, y1 of the part that is the photo

    def describe(self) -> str:
        """'opencv-doc: examples/data/vtest.avi, frame 200' — for reports and messages."""
        text = f"{self.package}: {self.path}"
        if self.frame is not None:
            text += f", frame {self.frame}"
        if self.crop is not None:
            text += f", crop {list(self.crop)}"
        return text

    def file(self) -> Path | None:
        """The file on this machine, or None when its package is not installed."""
        if self.kind == "debian":
            path = DEBIAN_DOC / self.package / self.path
            return path if path.is_file() else None
        try:
            spec = importlib.util.find_spec(self.module)
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(list(spec.submodule_search_locations)[0]) / self.path
        return path if path.is_file() else None

    def install_hint(self) -> str:
        if self.kind == "debian":
            return f"Debian package {self.package} is not installed (apt-get install {self.package})"
        return f"Python package {self.package} is not installed (pip install {self.package})"


@dataclass(frozen=True)
class LabelledPerson:
    box: Box
    who: str  # a few words that tell a reader which person this is ("man in the red jacket")


@dataclass(frozen=True)
class PhotoQuestion:
    """A referring question and the person (index into the photo's people) it means."""

    text: str
    person: int
    kind: str  # one of QUESTION_KINDS
    after: int | None = None  # a follow-up: index of the earlier question of this photo it follows


@dataclass(frozen=True)
class PoseStatement:
    """Something plainly true of one person's pose: they pass at least one of `any_of`."""

    person: int
    any_of: tuple[str, ...]  # check names (posegpt.eval.checks.CHECKS)
    says: str


@dataclass(frozen=True)
class LabelledPhoto:
    name: str
    source: PhotoSource
    size: tuple[int, int]  # (width, height) of the photo as loaded: checked when it is loaded
    people: tuple[LabelledPerson, ...]
    ignore: tuple[Box, ...]  # regions with people too blurred or hidden to count (found or not)
    questions: tuple[PhotoQuestion, ...]
    checks: tuple[PoseStatement, ...]
    tags: tuple[str, ...]  # "close-up", "group", "edge", "small", "upper-body", …


# --- reading and checking the label file ---------------------------------------------------------


def _fail(where: str, message: str) -> LabelError:
    return LabelError(f"{LABELS.name if where == '' else where}: {message}")


def _mapping(value: Any, where: str, required: Sequence[str], optional: Sequence[str] = ()) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, f"must be a mapping, got {type(value).__name__}")
    missing = [key for key in required if key not in value]
    if missing:
        raise _fail(where, f"missing {', '.join(missing)}")
    unknown = [key for key in value if key not in (*required, *optional)]
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(map(str, unknown))} (allowed: {', '.join((*required, *optional))})")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"must be a non-empty string, got {value!r}")
    return value.strip()


def _index(value: Any, where: str, count: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < count:
        allowed = f"an index in 0..{count - 1}" if count else "an index, but there is nothing to point to"
        raise _fail(where, f"must be {allowed}, got {value!r}")
    return value


def _box(value: Any, where: str, size: tuple[int, int] | None = None) -> Box:
    if not (isinstance(value, Sequence) and len(value) == 4 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                                    for v in value)):
        raise _fail(where, f"must be [x0, y0, x1, y1] numbers, got {value!r}")
    x0, y0, x1, y1 = (float(v) for v in value)
    if not (x0 < x1 and y0 < y1):
        raise _fail(where, f"must have x0 < x1 and y0 < y1, got {list(value)}")
    if size is not None and (x0 < 0 or y0 < 0 or x1 > size[0] or y1 > size[1]):
        raise _fail(where, f"{list(value)} lies outside the {size[0]}×{size[1]} photo")
    return (x0, y0, x1, y1)


def _source(value: Any, where: str) -> PhotoSource:
    data = _mapping(value, where, ("path",), ("debian", "python", "module", "frame", "crop"))
    kinds = [kind for kind in SOURCE_KINDS if kind in data]
    if len(kinds) != 1:
        raise _fail(where, "must name exactly one package: debian: NAME or python: NAME (with module:)")
    kind = kinds[0]
    module = ""
    if kind == "python":
        module = _text(data.get("module"), f"{where}.module")
    elif "module" in data:
        raise _fail(where, "module: is only for python sources")
    path = _text(data["path"], f"{where}.path")
    if path.startswith("/") or ".." in Path(path).parts:
        raise _fail(f"{where}.path", f"must be relative and stay inside the package, got {path!r}")
    frame = data.get("frame")
    if frame is not None and (not isinstance(frame, int) or isinstance(frame, bool) or frame < 0):
        raise _fail(f"{where}.frame", f"must be a frame index ≥ 0, got {frame!r}")
    crop = None
    if data.get("crop") is not None:
        crop = tuple(int(v) for v in _box(data["crop"], f"{where}.crop"))
    return PhotoSource(kind, _text(data[kind], f"{where}.{kind}"), path, module, frame, crop)  # type: ignore[arg-type]


def parse_labels(data: Any, where: str = "real_photos.yaml") -> list[LabelledPhoto]:
    """The photos of an already-parsed label document (`{"photos": [...]}`), every rule checked."""
    document = _mapping(data, where, ("photos",))
    entries = document["photos"]
    if not isinstance(entries, list) or not entries:
        raise _fail(f"{where}: photos", "must be a non-empty list")
    photos: list[LabelledPhoto] = []
    names: set[str] = set()
    for number, entry in enumerate(entries):
        here = f"{where}: photos[{number}]"
        item = _mapping(entry, here, ("name", "source", "size", "people"), ("ignore", "questions", "checks", "tags"))
        name = _text(item["name"], f"{here}.name")
        here = f"{where}: photo {name!r}"
        if name in names:
            raise _fail(here, "the name is used twice")
        names.add(name)
        size_value = item["size"]
        if not (isinstance(size_value, Sequence) and len(size_value) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size_value)):
            raise _fail(f"{here}.size", f"must be [width, height] positive integers, got {size_value!r}")
        size = (int(size_value[0]), int(size_value[1]))
        source = _source(item["source"], f"{here}.source")
        if source.crop is not None and (source.crop[2] - source.crop[0], source.crop[3] - source.crop[1]) != size:
            raise _fail(f"{here}.size", f"{list(size)} is not the crop's size {list(source.crop)}")
        if not isinstance(item["people"], list):
            raise _fail(f"{here}.people", "must be a list (empty when nobody is in the photo)")
        people = []
        for k, person in enumerate(item["people"]):
            data = _mapping(person, f"{here}.people[{k}]", ("box", "who"))
            people.append(LabelledPerson(_box(data["box"], f"{here}.people[{k}].box", size),
                                         _text(data["who"], f"{here}.people[{k}].who")))
        ignore = tuple(_box(box, f"{here}.ignore[{k}]", size) for k, box in enumerate(item.get("ignore") or []))
        questions: list[PhotoQuestion] = []
        for k, question in enumerate(item.get("questions") or []):
            qhere = f"{here}.questions[{k}]"
            data = _mapping(question, qhere, ("ask", "person", "kind"), ("after",))
            kind = _text(data["kind"], f"{qhere}.kind")
            if kind not in QUESTION_KINDS:
                raise _fail(f"{qhere}.kind", f"{kind!r} is not one of {', '.join(QUESTION_KINDS)}")
            after = data.get("after")
            if after is not None:
                after = _index(after, f"{qhere}.after", k)  # only an earlier question
            if (kind == "follow-up") != (after is not None):
                raise _fail(qhere, "a follow-up question needs after: (the earlier question), and only a follow-up has one")
            questions.append(PhotoQuestion(_text(data["ask"], f"{qhere}.ask"),
                                           _index(data["person"], f"{qhere}.person", len(people)), kind, after))
        checks: list[PoseStatement] = []
        for k, check in enumerate(item.get("checks") or []):
            chere = f"{here}.checks[{k}]"
            data = _mapping(check, chere, ("person", "any_of", "says"))
            any_of = data["any_of"]
            if not isinstance(any_of, list) or not any_of:
                raise _fail(f"{chere}.any_of", "must be a non-empty list of check names")
            unknown = [name for name in any_of if name not in CHECKS]
            if unknown:
                raise _fail(f"{chere}.any_of", f"unknown check(s) {', '.join(map(str, unknown))} (see posegpt.eval.checks)")
            checks.append(PoseStatement(_index(data["person"], f"{chere}.person", len(people)), tuple(any_of),
                                        _text(data["says"], f"{chere}.says")))
        tags = item.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(tag, str) and tag for tag in tags):
            raise _fail(f"{here}.tags", f"must be a list of words, got {tags!r}")
        photos.append(LabelledPhoto(name, source, size, tuple(people), ignore, tuple(questions), tuple(checks), tuple(tags)))
    return photos


def load_labels(path: Path | str = LABELS) -> list[LabelledPhoto]:
    """Every labelled photo of the label file (YAML), or `LabelError` saying what is wrong where."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise LabelError(f"cannot read the label file {path}: {error}") from None
    except yaml.YAMLError as error:
        raise LabelError(f"{path.name} is not valid YAML: {error}") from None
    return parse_labels(data, path.name)


# --- the photos themselves --------------------------------------------------------------------------


def load_image(photo: LabelledPhoto) -> Photo | None:
    """The labelled photo (`read_photo`, at the size its labels are for), or None when its
    package is not installed.

    Raises LabelError when the file is there but is not what the label says (its size differs,
    or the frame does not exist): the labels would no longer fit it."""
    from posegpt.photo import read_photo

    path = photo.source.file()
    if path is None:
        return None
    if photo.source.frame is not None:
        import cv2

        video = cv2.VideoCapture(str(path))
        try:
            video.set(cv2.CAP_PROP_POS_FRAMES, photo.source.frame)
            ok, bgr = video.read()
        finally:
            video.release()
        if not ok:
            raise LabelError(f"photo {photo.name!r}: {photo.source.describe()} cannot be read")
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    else:
        rgb = read_photo(path, max_side=None, name=photo.name).rgb
    if photo.source.crop is not None:
        x0, y0, x1, y1 = photo.source.crop
        if x1 > rgb.shape[1] or y1 > rgb.shape[0]:
            raise LabelError(f"photo {photo.name!r}: crop {list(photo.source.crop)} exceeds the "
                             f"{rgb.shape[1]}×{rgb.shape[0]} picture")
        rgb = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    if (rgb.shape[1], rgb.shape[0]) != photo.size:
        raise LabelError(f"photo {photo.name!r}: {photo.source.describe()} is {rgb.shape[1]}×{rgb.shape[0]}, "
                         f"the labels are for {photo.size[0]}×{photo.size[1]}")
    return read_photo(rgb, max_side=None, name=photo.name)


# --- matching found people to the labelled ones -------------------------------------------------------


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when they do not overlap)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def covered_by(box: Box, region: Box) -> float:
    """The share of `box`'s area that lies inside `region`."""
    width = min(box[2], region[2]) - max(box[0], region[0])
    height = min(box[3], region[3]) - max(box[1], region[1])
    area = (box[2] - box[0]) * (box[3] - box[1])
    return float(width * height / area) if width > 0 and height > 0 and area > 0 else 0.0


@dataclass(frozen=True)
class BoxMatch:
    """Labelled people ↔ found people of one photo."""

    found_for: tuple[int | None, ...]  # per labelled person: the found person that is them, or None
    ignored: tuple[int, ...]  # found people that are no labelled person but lie in an ignore region
    found: int  # found people in all

    @property
    def matched(self) -> int:
        return sum(index is not None for index in self.found_for)

    @property
    def counted(self) -> int:
        """Found people that count for precision (the ignored ones do not)."""
        return self.found - len(self.ignored)


def match_boxes(truth: Sequence[Box], found: Sequence[Box], ignore: Sequence[Box] = (), threshold: float = 0.5,
                ignore_share: float = 0.5) -> BoxMatch:
    """One-to-one matching with the largest total IoU (Hungarian), pairs below `threshold` dropped.

    A found box that matches nobody and lies at least `ignore_share` inside an ignore region is
    neither right nor wrong (a blurred crowd)."""
    from scipy.optimize import linear_sum_assignment

    found_for: list[int | None] = [None] * len(truth)
    if truth and found:
        overlap = np.array([[iou(t, f) for f in found] for t in truth])  # (T, F)
        rows, columns = linear_sum_assignment(-overlap)
        for row, column in zip(rows, columns):
            if overlap[row, column] >= threshold:
                found_for[row] = int(column)
    taken = {index for index in found_for if index is not None}
    ignored = tuple(k for k, box in enumerate(found)
                    if k not in taken and any(covered_by(box, region) >= ignore_share for region in ignore))
    return BoxMatch(tuple(found_for), ignored, len(found))


def recall_precision(matches: Sequence[BoxMatch], people: Sequence[int]) -> tuple[float | None, float | None]:
    """(recall %, precision %) over photos: labelled people found, found people that are labelled."""
    present = sum(people)
    matched = sum(match.matched for match in matches)
    counted = sum(match.counted for match in matches)
    recall = 100.0 * matched / present if present else None
    precision = 100.0 * matched / counted if counted else None
    return recall, precision
