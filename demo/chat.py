"""The web chat's state and logic, free of Gradio: sessions, turns, poses and their files.

The UI (`demo/ui.py`) only draws what lives here. A `ChatSession` keeps each turn exactly as the
model said it (`<POSE>` markers included, so later turns see the real conversation) next to the
poses and files it produced; `ChatSession.history()` turns that into Gradio's message dicts,
with each pose's picture placed where its `<POSE>` was. `ChatService` owns the shared engine,
body models and renderer, and runs one reply at a time per session.

An upload becomes a `posegpt.photo.Photo` here, once (`read_photo`: EXIF orientation, any mode
to RGB, at most `MAX_IMAGE_SIDE`); the turn keeps it, the engine reads its people, and
`posegpt.artifacts.PoseExporter` draws every pose over it — follow-ups and restyles reuse it.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from posegpt.artifacts import PoseExporter, PoseFiles
from posegpt.body import BodyModel, BodyModelError, available_bodies, load_body_model, resolve_body
from posegpt.body.smpl_body import default_body_model_dir
from posegpt.engine import Done, Engine, ErrorEvent, GenerationOptions, Notice, PoseEvent, TextDelta
from posegpt.photo import MAX_PHOTO_PIXELS, Photo, PhotoError, read_photo
from posegpt.pose import PHENOTYPE_NAMES, Pose
from posegpt.tokens import POSE_TOKEN

if TYPE_CHECKING:
    from posegpt.render import Renderer
    from posegpt.vision.pipeline import SceneReading

MAX_MESSAGE_CHARS = 4000  # longer messages are refused with a message, not cut silently
MAX_IMAGE_SIDE = 1024  # uploads are downscaled to this longest side before anything else sees them
MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS  # larger files are refused before decoding (decompression bombs)
SESSIONS_DIR = Path(tempfile.gettempdir()) / "posegpt-sessions"  # one sub-folder per browser tab
PHOTO_ONLY_QUESTION = "What is the pose of the person in this photo?"
ANSWERING_ALREADY = "Still answering your previous message: wait for it to finish, or press stop."


class UserInputError(ValueError):
    """Input the session cannot use; the message is shown to the user and nothing is lost."""


@dataclass
class PoseRecord:
    """One decoded `<POSE>` and the files made from it."""

    turn: int  # 0-based turn index
    index: int  # 0-based position among the turn's poses
    pose: Pose
    files: PoseFiles
    person: int | None = None  # which person of the turn's photo (0-based, left to right), if any

    @property
    def overlay(self) -> Path | None:
        """The photo with this body drawn over that person (also in the picture), if there is one."""
        return self.files.overlay

    @property
    def key(self) -> str:
        return f"{self.turn}:{self.index}"

    @property
    def label(self) -> str:
        about = f" · person {self.person + 1}" if self.person is not None else ""
        return f"Message {self.turn + 1} · pose {self.index + 1}{about}"


@dataclass
class Turn:
    """A user message and the reply to it, as far as it has streamed."""

    text: str
    photo: Photo | None = None  # the photo sent with this message, as the engine and the drawings see it
    photo_file: Path | None = None  # where it is saved for the chat to show
    reply: str = ""  # the model's text with its <POSE> markers
    poses: list[PoseRecord] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # shown before the reply
    errors: list[str] = field(default_factory=list)  # shown after it
    complete: bool = False
    scene: SceneReading | None = None  # the vision module's reading of the photo this reply looked at


@dataclass
class Look:
    """How bodies are drawn: which body model and, for Anny, its phenotype sliders."""

    body: str = "anny"
    phenotype: dict[str, float] = field(default_factory=dict)


class ChatSession:
    """One browser tab's conversation, with its own folder for photos and pose files."""

    def __init__(self, look: Look | None = None) -> None:
        SESSIONS_DIR.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="session-", dir=SESSIONS_DIR))
        self.turns: list[Turn] = []
        self.look = look or Look()
        self.version = 0  # bumps on every re-render so browsers never show a stale cached file
        self.answering = False  # a reply is streaming; a second message must wait
        self.generation = 0  # which reply stream is current; `stop` bumps it to end the old one
        self._state_lock = threading.Lock()

    # -- what the model sees ------------------------------------------------------------------

    def model_messages(self) -> list[dict[str, str]]:
        """The conversation for the engine: finished turns with their raw replies, then the last
        user message. Turns that produced no reply at all are left out (the template needs
        user/assistant alternation)."""
        messages: list[dict[str, str]] = []
        for turn in self.turns[:-1]:
            if turn.reply.strip():
                messages += [{"role": "user", "content": turn.text}, {"role": "assistant", "content": turn.reply}]
        if self.turns:
            messages.append({"role": "user", "content": self.turns[-1].text})
        return messages

    def latest_photo(self, upto: int | None = None) -> Photo | None:
        """The photo of the latest turn that sent one (up to turn `upto`, included)."""
        for turn in reversed(self.turns[: None if upto is None else upto + 1]):
            if turn.photo is not None:
                return turn.photo
        return None

    # -- what the user sees -------------------------------------------------------------------

    def history(self) -> list[dict[str, Any]]:
        """Gradio `Chatbot` messages: text, uploaded photos, notes, and each pose's picture in
        place of its `<POSE>` marker."""
        messages: list[dict[str, Any]] = []
        for turn in self.turns:
            messages.append({"role": "user", "content": turn.text})
            if turn.photo_file is not None:
                messages.append({"role": "user", "content": {"path": str(turn.photo_file), "alt_text": "your photo"}})
            for notice in turn.notices:
                messages.append({"role": "assistant", "content": notice, "metadata": {"title": "Note"}})
            segments = turn.reply.split(POSE_TOKEN)
            for position, segment in enumerate(segments):
                if segment.strip():
                    messages.append({"role": "assistant", "content": segment.strip()})
                if position < len(segments) - 1:
                    messages += _pose_messages(turn, position)
            for error in turn.errors:
                messages.append({"role": "assistant", "content": error, "metadata": {"title": "Problem"}})
        return messages

    def poses(self) -> list[PoseRecord]:
        return [record for turn in self.turns for record in turn.poses]

    def find_pose(self, key: str | None) -> PoseRecord | None:
        for record in self.poses():
            if record.key == key:
                return record
        return None

    # -- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """Delete the session's files (Gradio calls this when the tab closes or the state expires)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _pose_messages(turn: Turn, index: int) -> list[dict[str, Any]]:
    """What stands in the chat where pose `index` of `turn` was said: its picture (over the photo
    and from the front and side when it is about a person of the photo), or why there is none."""
    record = next((r for r in turn.poses if r.index == index), None)
    if record is None:
        text = f"(pose {index + 1} is being drawn…)" if not turn.complete else f"(pose {index + 1} could not be shown)"
        return [{"role": "assistant", "content": text}]
    messages = []
    if record.person is not None:
        people = len(turn.scene.people) if turn.scene is not None else 0
        of = f" of {people}" if people > 1 else ""
        where = " (orange box), drawn over them" if record.overlay is not None else ""
        messages.append({"role": "assistant", "content": f"Pose {index + 1} is person {record.person + 1}{of} "
                                                         f"in your photo{where}:"})
    if record.files.picture is None:
        messages.append({"role": "assistant",
                         "content": f"(pose {index + 1}: {record.files.error or 'no picture'}; the files are in the 3D panel)"})
        return messages
    views = "front and side view" if record.overlay is None else f"on your photo (person {record.person + 1}), front and side view"
    messages.append({"role": "assistant", "content": {"path": str(record.files.picture), "alt_text": f"pose {index + 1}: {views}"}})
    return messages


# --- input checks ----------------------------------------------------------------------------------


def check_text(text: str | None, has_photo: bool) -> str:
    """The message to send, or a `UserInputError` saying what is wrong with it."""
    text = (text or "").strip()
    if not text and not has_photo:
        raise UserInputError("Type a message first (or upload a photo and ask about it).")
    if len(text) > MAX_MESSAGE_CHARS:
        raise UserInputError(
            f"Your message has {len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}. Please shorten it."
        )
    return text or PHOTO_ONLY_QUESTION


def read_upload(path: str | Path, folder: Path, name: str) -> tuple[Photo, Path]:
    """An uploaded image of any common mode (RGBA, grayscale, palette, 16-bit; EXIF rotation
    applied), downscaled to `MAX_IMAGE_SIDE` and saved as PNG in `folder` → (photo, saved path).
    What cannot be used raises `UserInputError` saying why."""
    try:
        photo = read_photo(Path(path), max_side=MAX_IMAGE_SIDE)
    except PhotoError as error:
        raise UserInputError(str(error)) from None
    return photo, photo.save_png(folder / f"{name}.png")


# --- the service ------------------------------------------------------------------------------------


class ChatService:
    """The shared pipeline behind every session: engine, body models, renderer.

    Body models are built on first use and kept; `body_kinds()` lists what this machine can draw
    with (Anny always; SMPL/SMPL-X when their files are in `body_model_dir`).
    """

    def __init__(
        self,
        engine: Engine,
        renderer: Renderer | None,
        default_body: str = "auto",
        body_model_dir: str | Path | None = None,
        system_prompt: str | None = None,
    ) -> None:
        self.engine = engine
        self.renderer = renderer
        self.body_model_dir = Path(body_model_dir) if body_model_dir is not None else default_body_model_dir()
        self.system_prompt = system_prompt
        self._bodies: dict[str, BodyModel] = {}
        self._bodies_lock = threading.Lock()
        kinds = self.body_kinds()
        self.default_body = resolve_body(default_body, self.body_model_dir)  # auto: smpl(x) when present
        if self.default_body not in kinds:
            raise BodyModelError(
                f"body model {default_body!r} is not available here; found: {', '.join(kinds)} "
                f"(SMPL/SMPL-X files go in {self.body_model_dir}, see README)"
            )

    @property
    def supports_images(self) -> bool:
        """The backbone itself takes pixels (a vision-language model)."""
        return bool(self.engine.backbone.supports_images)

    @property
    def reads_people(self) -> bool:
        """Photos reach the model as the people the vision module finds in them."""
        model = getattr(self.engine, "model", None)
        return bool(getattr(model, "reads_people", False)) and getattr(self.engine, "vision", None) is not None

    @property
    def sees_photos(self) -> bool:
        """The model can use a photo at all, so follow-up questions keep seeing the latest one."""
        return self.supports_images or self.reads_people

    def body_kinds(self) -> list[str]:
        return available_bodies(self.body_model_dir)

    def body(self, kind: str) -> BodyModel:
        with self._bodies_lock:
            if kind not in self._bodies:
                self._bodies[kind] = load_body_model(kind, self.body_model_dir)
            return self._bodies[kind]

    def exporter(self, kind: str) -> PoseExporter:
        """Draws with body model `kind` (built on first use) and the shared renderer."""
        return PoseExporter(self.body(kind), self.renderer)

    def new_session(self) -> ChatSession:
        return ChatSession(Look(body=self.default_body))

    # -- replies ------------------------------------------------------------------------------

    def respond(
        self,
        session: ChatSession,
        text: str | None,
        photo: str | Path | None = None,
        options: GenerationOptions | None = None,
    ) -> Iterator[ChatSession]:
        """Add the user's message and stream the reply into the session, yielding the session after
        every change. Bad input raises `UserInputError` (on the first `next`) before anything is
        added, so the conversation is never damaged."""
        generation = self._begin(session)
        try:
            message = check_text(text, has_photo=photo is not None)
            upload = saved = None
            if photo is not None:
                upload, saved = read_upload(photo, session.folder, f"photo{len(session.turns) + 1}")
            session.turns.append(Turn(text=message, photo=upload, photo_file=saved))
            yield from self._stream_reply(session, generation, options or GenerationOptions())
        finally:
            self._end(session, generation)

    def retry(self, session: ChatSession, options: GenerationOptions | None = None) -> Iterator[ChatSession]:
        """Answer the last user message again (its old reply and poses are dropped)."""
        generation = self._begin(session)
        try:
            if not session.turns:
                raise UserInputError("There is nothing to retry yet.")
            last = session.turns[-1]
            session.turns[-1] = Turn(text=last.text, photo=last.photo, photo_file=last.photo_file)
            yield from self._stream_reply(session, generation, options or GenerationOptions())
        finally:
            self._end(session, generation)

    def undo(self, session: ChatSession) -> ChatSession:
        """Remove the last message and its reply."""
        if session.answering:
            raise UserInputError(ANSWERING_ALREADY)
        if session.turns:
            session.turns.pop()
        return session

    def clear(self, session: ChatSession) -> ChatSession:
        if session.answering:
            raise UserInputError(ANSWERING_ALREADY)
        session.turns.clear()
        return session

    def stop(self, session: ChatSession) -> ChatSession:
        """The user stopped the reply: keep what streamed so far and free the session at once
        (the old stream notices on its next token and ends)."""
        with session._state_lock:
            session.generation += 1
            session.answering = False
        if session.turns:
            session.turns[-1].complete = True
        return session

    @staticmethod
    def _begin(session: ChatSession) -> int:
        with session._state_lock:
            if session.answering:
                raise UserInputError(ANSWERING_ALREADY)
            session.answering = True
            session.generation += 1
            return session.generation

    @staticmethod
    def _end(session: ChatSession, generation: int) -> None:
        with session._state_lock:
            if session.generation == generation:
                session.answering = False

    def _stream_reply(self, session: ChatSession, generation: int, options: GenerationOptions) -> Iterator[ChatSession]:
        turn_index = len(session.turns) - 1
        turn = session.turns[turn_index]
        messages = session.model_messages()
        if self.system_prompt:
            messages.insert(0, {"role": "system", "content": self.system_prompt})
        # A text-only model is only told about a photo sent with this very message (it says it
        # cannot see it); a model that sees photos (pixels or people) keeps seeing the latest one.
        photo = session.latest_photo() if self.sees_photos else turn.photo
        try:
            yield session
            for event in self.engine.stream(messages, photo, options=options):
                if session.generation != generation:  # stopped by the user
                    break
                if isinstance(event, TextDelta):
                    turn.reply += event.text
                elif isinstance(event, PoseEvent):
                    if event.scene is not None:
                        turn.scene = event.scene
                    turn.poses.append(self._export(session, turn_index, event.index, event.pose, event.person))
                elif isinstance(event, Notice):
                    turn.notices.append(event.message)
                elif isinstance(event, ErrorEvent):
                    turn.errors.append(event.message)
                elif isinstance(event, Done):
                    turn.reply = event.reply
                    turn.scene = event.scene if event.scene is not None else turn.scene
                yield session
        except Exception as error:  # the session must survive anything the model does
            turn.errors.append(
                f"Something went wrong while answering ({type(error).__name__}: {error}). "
                "Your conversation is kept: press retry or send another message."
            )
        turn.complete = True
        yield session

    # -- drawing ------------------------------------------------------------------------------

    def _export(self, session: ChatSession, turn: int, index: int, pose: Pose, person: int | None = None) -> PoseRecord:
        """Files for one pose in the session's look. A pose about a person of the photo is drawn
        over that person (highlighted) in the photo the people were found in (a follow-up's is an
        earlier turn's), and that overlay stands beside the front and side views; any other pose
        has its own turn's photo, if any, beside them."""
        look = session.look
        if look.body == "anny" and look.phenotype:
            pose = pose.with_phenotype(**look.phenotype)
        stem = f"m{turn + 1}_pose{index + 1}_v{session.version}"
        scene = session.turns[turn].scene
        photo = session.latest_photo(turn) if person is not None else session.turns[turn].photo
        try:
            files = self.exporter(look.body).export(pose, session.folder, stem, photo=photo, person=person, scene=scene)
        except BodyModelError as error:
            files = PoseFiles(npz=pose.save_npz(session.folder / f"m{turn + 1}_pose{index + 1}.npz"), error=str(error))
        return PoseRecord(turn, index, pose, files, person)

    def restyle(self, session: ChatSession, body: str | None = None, phenotype: Mapping[str, float] | None = None) -> ChatSession:
        """Draw every pose of the session again with another body model or phenotype, without
        asking the model again."""
        if body is not None:
            if body not in self.body_kinds():
                raise UserInputError(f"The {body} body model is not available here (its files are missing).")
            session.look.body = body
        if phenotype is not None:
            unknown = set(phenotype) - set(PHENOTYPE_NAMES)
            if unknown:
                raise UserInputError(f"unknown phenotype sliders {sorted(unknown)}")
            session.look.phenotype = {name: float(value) for name, value in phenotype.items()}
        session.version += 1
        for turn_index, turn in enumerate(session.turns):
            turn.poses = [self._export(session, turn_index, record.index, _without_phenotype(record.pose), record.person)
                          for record in turn.poses]
        return session


def _without_phenotype(pose: Pose) -> Pose:
    return Pose(pose.global_orient, pose.body_pose, pose.betas)
