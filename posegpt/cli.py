"""`python -m posegpt …`: one typed function per sub-command, argparse only parses.

Sub-commands: `render` (a pose file → PNG/.glb/.obj), `chat` (terminal chat), `batch` (JSONL in →
JSONL out, one model load; the format is in `batch`'s docstring and DESIGN.md).

Errors a user can fix (bad pose file, missing SMPL files, unreadable photo) print one line to
stderr and exit with status 2; they never end in a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence, TextIO

import numpy as np

from posegpt.body.base import BodyModelError
from posegpt.pose import PoseError

if TYPE_CHECKING:
    from posegpt.photo import Photo
    from posegpt.vision.pipeline import SceneReading

VIEWS = ("front", "side", "back", "top")


class UserError(Exception):
    """A problem with the user's input; printed as one line, exit status 2."""


def _parse_views(text: str) -> tuple[str, ...]:
    views = tuple(view.strip() for view in text.split(",") if view.strip())
    unknown = [view for view in views if view not in VIEWS]
    if not views or unknown:
        raise argparse.ArgumentTypeError(f"views must be a comma list of {', '.join(VIEWS)}; got {text!r}")
    return views


def render(
    pose: Path | None,
    out: Path,
    example: str | None = None,
    index: int = 0,
    glb: Path | None = None,
    obj: Path | None = None,
    image: Path | None = None,
    camera: str | None = None,
    body: str = "auto",
    views: tuple[str, ...] = ("front", "side"),
    size: int = 512,
    backend: str = "auto",
) -> int:
    """Render one pose of a pose file (or a named example pose) to PNG, and optionally .glb/.obj;
    with `image`, the body drawn over that photo (at `camera`, or standing in its middle)."""
    from PIL import Image

    from posegpt.artifacts import PoseExporter
    from posegpt.body import describe_choice, load_body_model
    from posegpt.data.named_poses import named_pose
    from posegpt.photo import PhotoError, read_photo
    from posegpt.pose import Pose
    from posegpt.render import Camera, Renderer, export_glb, export_obj

    if (pose is None) == (example is None):
        raise UserError("give exactly one of --pose FILE.npz or --example NAME")
    if example is not None:
        try:
            poses = named_pose(example)
        except KeyError as error:
            raise UserError(str(error.args[0])) from None
    else:
        poses = Pose.load_npz(pose)  # type: ignore[arg-type]
    if not -len(poses) <= index < len(poses):
        raise UserError(f"--index {index} is out of range: the file holds {len(poses)} pose(s)")
    selected = poses[index]

    started = time.perf_counter()
    body_model = load_body_model(body)
    print(describe_choice(body_model), file=sys.stderr)

    photo = None
    if image is not None:
        try:
            photo = read_photo(image, max_side=None)  # drawn at the photo's own size
        except PhotoError as error:
            raise UserError(f"cannot read the photo {image}: {error}") from None
    elif camera is not None:
        raise UserError("--camera only makes sense with --image")

    with Renderer(width=size, height=size, backend=backend) as renderer:
        exporter = PoseExporter(body_model, renderer, views=views)
        mesh = exporter.mesh(selected)
        if photo is not None:
            cam = Camera.parse(camera) if camera else _fit_camera(mesh.vertices, photo.width, photo.height)
            drawing = exporter.draw(mesh, photo, camera=cam, views=False)
            if drawing.overlay is None:
                raise UserError(f"the body cannot be drawn over {image} with camera {cam}")
            picture = drawing.overlay
        else:
            picture = exporter.draw(mesh).views
        backend_name = renderer.backend
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(out)
    written = [str(out)]
    if glb is not None:
        written.append(str(export_glb(mesh.vertices, mesh.faces, glb)))
    if obj is not None:
        written.append(str(export_obj(mesh.vertices, mesh.faces, obj)))
    elapsed = time.perf_counter() - started
    print(f"Rendered with {backend_name} in {elapsed:.2f} s: {', '.join(written)}")
    return 0


def _fit_camera(vertices: np.ndarray, width: int, height: int) -> "object":
    """A weak-perspective camera that places the body in the middle of the photo at 80 % height."""
    from posegpt.render import Camera

    low, high = vertices.min(axis=0), vertices.max(axis=0)  # (3,), (3,)
    scale = 0.8 * height / max(float(high[1] - low[1]), 1e-6)
    centre = (low + high) / 2
    return Camera(scale=scale, tx=width / 2 - scale * float(centre[0]), ty=height / 2 + scale * float(centre[1]))


# ---------------------------------------------------------------------------------------------
# chat and batch: one model load, then `posegpt.engine.Engine` does the talking


def _load_model(checkpoint: str | None, backbone: str | None, device: str, dtype: str | None) -> tuple[Any, str]:
    """`load_posegpt` with LoRA merged for faster decoding; load failures become one-line user errors."""
    from posegpt import model as model_module
    from posegpt.backbones import BackboneError

    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UserError("--device cuda: no CUDA GPU is available on this machine; use --device cpu")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # deprecation chatter from the libraries
            model, description = model_module.load_posegpt(checkpoint, backbone, device=device, dtype=dtype)
    except (BackboneError, model_module.CheckpointError) as error:
        raise UserError(str(error)) from None
    return model.merge_for_inference(), description


CHAT_HELP = """Commands: /reset starts a new conversation, /quit or /exit leaves (so does end of input), /help shows this.
Each <POSE> in a reply is saved as a picture (front + side view) and a pose file (.npz) in the output folder."""


def _plan_body(kind: str) -> tuple[str, str]:
    """The body model chat will use and the line that says so, without building it yet."""
    from posegpt.body import available_bodies, describe_kind, load_body_model, resolve_body

    kind = resolve_body(kind)
    if kind not in available_bodies():
        load_body_model(kind)  # raises BodyModelFilesMissing, whose message says where to get the files
    # The real body model is built when the first pose arrives.
    return kind, describe_kind(kind)


class _PoseWriter:
    """Saves chat poses as `<stem>.npz` + `<stem>.png` (front + side); body and renderer made on first use."""

    def __init__(self, out_dir: Path, body: str, size: int = 512) -> None:
        self.out_dir, self.body, self.size = out_dir, body, size
        self._exporter: Any = None

    def write(self, pose: Any, stem: str) -> tuple[list[Path], str | None]:
        """→ the files written, and what went wrong with the picture (None if nothing)."""
        from posegpt.artifacts import PoseExporter
        from posegpt.body import load_body_model
        from posegpt.render import Renderer

        if self._exporter is None:
            try:
                self._exporter = PoseExporter(load_body_model(self.body), Renderer(width=self.size, height=self.size))
            except (BodyModelError, OSError, RuntimeError, ValueError) as error:
                return [pose.save_npz(self.out_dir / f"{stem}.npz")], f"no picture ({error})"
        files = self._exporter.export(pose, self.out_dir, stem, formats=("png", "npz"))
        return files.paths(), (f"no picture: {files.error}" if files.error else None)

    def close(self) -> None:
        if self._exporter is not None and self._exporter.renderer is not None:
            self._exporter.renderer.close()


class _Printer:
    """Writes streamed text, keeping track of whether the cursor is at the start of a line."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.at_line_start = True

    def write(self, text: str) -> None:
        if text:
            self.out.write(text)
            self.out.flush()
            self.at_line_start = text.endswith("\n")

    def line(self, text: str) -> None:
        """`text` on a line of its own."""
        self.end()
        self.write(text + "\n")

    def end(self) -> None:
        if not self.at_line_start:
            self.write("\n")


def _read_line(stdin: TextIO, interactive: bool) -> str | None:
    """The next line the user typed, or None at end of input (Ctrl-D) or Ctrl-C at the prompt."""
    if interactive:
        try:
            return input("you: ")
        except (EOFError, KeyboardInterrupt):
            print()
            return None
    line = stdin.readline()
    return None if line == "" else line.rstrip("\r\n")


def _chat_turn(engine: Any, history: list[dict[str, str]], options: Any, turn: int, poses: _PoseWriter,
               printer: _Printer, verbose: bool) -> str | None:
    """Stream one reply to the terminal → its text (with <POSE> markers) for the history, or None."""
    from posegpt.engine import Done, ErrorEvent, Notice, PoseEvent, TextDelta

    done, failed = None, False
    printer.write("posegpt: ")
    for event in engine.stream(history, options=options):
        if isinstance(event, TextDelta):
            printer.write(event.text)
        elif isinstance(event, PoseEvent):
            number = event.index + 1
            written, problem = poses.write(event.pose, f"turn{turn}_pose{number}")
            note = f"; {problem}" if problem else ""
            printer.write(f"[pose {number}: {', '.join(str(path) for path in written)}{note}]")
        elif isinstance(event, Notice):
            printer.line(f"[note: {event.message}]")
        elif isinstance(event, ErrorEvent):
            printer.line(f"[error: {event.message}]")
            failed = True
        elif isinstance(event, Done):
            done = event
    printer.end()
    if verbose and done is not None:
        stats = done.stats
        printer.line(
            f"[{stats.generated_tokens} tokens, {stats.decode_tokens_per_s:.1f} tok/s, first token after "
            f"{stats.time_to_first_token_s:.2f} s, prompt {stats.prompt_tokens} tokens, stop: {stats.stop_reason}]"
        )
    if done is None or (failed and not done.reply):
        return None
    return done.reply


def chat(
    checkpoint: str | None = None,
    backbone: str | None = None,
    device: str = "cpu",
    dtype: str | None = None,
    max_new_tokens: int = 256,
    temperature: float = 0.0,
    top_p: float = 1.0,
    out_dir: Path = Path("posegpt_out"),
    body: str = "auto",
    verbose: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """A terminal chat: each line read is a user turn; replies stream, poses are saved as PNG + .npz.

    Reads from a pipe too (then each user line is echoed as `you: …` so the transcript reads
    like the interactive one). `stdin`/`stdout` default to the process's streams.
    """
    from posegpt.engine import Engine, GenerationOptions

    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    options = GenerationOptions.for_chat(max_new_tokens, temperature, top_p)  # as the app chats
    body_kind, body_line = _plan_body(body)
    model, description = _load_model(checkpoint, backbone, device, dtype)
    engine = Engine(model)
    interactive = stdin is sys.stdin and stdout is sys.stdout and stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401 - gives input() line editing and history where available
        except ImportError:  # pragma: no cover - e.g. Windows
            pass
    printer = _Printer(stdout)
    printer.line(f"Model: {description}")
    printer.line(body_line)
    printer.line(f"Poses are saved in {out_dir}/. Type /help for commands.")

    poses = _PoseWriter(out_dir, body_kind)
    history: list[dict[str, str]] = []
    turn = 0
    try:
        while (line := _read_line(stdin, interactive)) is not None:
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                command = text.split()[0].lower()
                if command in ("/quit", "/exit"):
                    break
                if command == "/reset":
                    history.clear()
                    printer.line("[new conversation]")
                elif command == "/help":
                    printer.line(CHAT_HELP)
                else:
                    printer.line(f"[unknown command {command}; /help lists the commands]")
                continue
            if not interactive:
                printer.line(f"you: {text}")
            turn += 1
            history.append({"role": "user", "content": text})
            try:
                reply = _chat_turn(engine, history, options, turn, poses, printer, verbose)
            except KeyboardInterrupt:  # Ctrl-C stops this reply, not the chat
                printer.line("[interrupted]")
                reply = None
            if reply is None:
                history.pop()  # nothing usable came back: the user can ask again
            else:
                history.append({"role": "assistant", "content": reply})
    finally:
        poses.close()
    return 0


class _BadLine(Exception):
    def __init__(self, request_id: Any, message: str) -> None:
        super().__init__(message)
        self.request_id = request_id


def _parse_batch_line(line: str, number: int, input_folder: Path) -> tuple[Any, list[dict[str, str]], Photo | None]:
    """One input line → (id, messages, its photo or None); `_BadLine` says what is wrong."""
    from posegpt.photo import PhotoError, read_photo

    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise _BadLine(number, f"line {number}: not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise _BadLine(number, f"line {number}: expected a JSON object, got {type(data).__name__}")
    request_id = data.get("id")
    if request_id is None or isinstance(request_id, bool) or not isinstance(request_id, (str, int)):
        raise _BadLine(number, f'line {number}: "id" is missing or not a string/integer')
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _BadLine(request_id, f'line {number}: "messages" must be a non-empty list of {{"role", "content"}}')
    for position, message in enumerate(messages, 1):
        if (not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant")
                or not isinstance(message.get("content"), str)):
            shown = json.dumps(message, ensure_ascii=False)
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            raise _BadLine(request_id, f'line {number}: message {position} needs "role" (system, user or '
                                       f'assistant) and text "content", got {shown}')
    if messages[-1]["role"] != "user":
        raise _BadLine(request_id, f"line {number}: the last message must be the user's (got {messages[-1]['role']!r})")
    if not messages[-1]["content"].strip():
        raise _BadLine(request_id, f"line {number}: the last user message is empty")
    image = None
    if data.get("image") is not None:
        name = data["image"]
        if not isinstance(name, str) or not name:
            raise _BadLine(request_id, f'line {number}: "image" must be a file path')
        path = Path(name).expanduser()
        if not path.is_absolute() and ((input_folder / path).exists() or not path.exists()):
            path = input_folder / path  # relative to the input file's folder (else to the working folder)
        try:
            image = read_photo(path)  # any mode, phone rotation applied, at most MAX_PHOTO_SIDE
        except PhotoError as error:
            raise _BadLine(request_id, f"line {number}: cannot read the image {name}: {error}") from None
    return request_id, [{"role": m["role"], "content": m["content"]} for m in messages], image


def pose_records(poses: Sequence[Any], people: Sequence[int | None] = ()) -> list[dict[str, Any]]:
    """Poses → JSON-ready dicts in smplx names, one per pose row (floats rounded to 1e-6); a pose
    about a person of the photo also gets "person", that person's index in "people"."""
    def floats(values: np.ndarray) -> list[float]:
        return [round(float(value), 6) for value in values]

    records = []
    for position, pose in enumerate(poses):
        person = people[position] if position < len(people) else None
        for row in range(len(pose)):
            record: dict[str, Any] = {"global_orient": floats(pose.global_orient[row]), "body_pose": floats(pose.body_pose[row])}
            if pose.betas is not None:
                record["betas"] = floats(pose.betas[row])
            if person is not None:
                record["person"] = int(person)
            records.append(record)
    return records


def _people_records(scene: SceneReading, photo: Photo) -> list[dict[str, Any]]:
    """The people the vision module found, left to right: box (x0, y0, x1, y1) in pixels of the
    input image (`photo` may be a scaled-down copy of it) and detection score."""
    return [{"box": [round(float(v) / photo.scale, 1) for v in person.landmarks.box],
             "score": round(float(person.landmarks.score), 3)} for person in scene.people]


def _batch_record(engine: Any, line: str, number: int, input_folder: Path, options: Any) -> dict[str, Any]:
    """Run one input line → its output record; never raises for a bad line or a failed generation."""
    from posegpt.engine import Done, ErrorEvent, Notice

    try:
        request_id, messages, image = _parse_batch_line(line, number, input_folder)
    except _BadLine as bad:
        return {"id": bad.request_id, "reply": "", "poses": [], "error": str(bad)}
    done, errors, notices = None, [], []
    try:
        for event in engine.stream(messages, image, options=options):
            if isinstance(event, Notice):
                notices.append(event.message)
            elif isinstance(event, ErrorEvent):
                errors.append(event.message)
            elif isinstance(event, Done):
                done = event
    except Exception as error:  # noqa: BLE001 - one failing request must not end a long run
        errors.append(f"generation failed: {type(error).__name__}: {error}")
    record: dict[str, Any] = {
        "id": request_id,
        "reply": done.reply if done else "",
        "poses": pose_records(done.poses, done.pose_people) if done else [],
    }
    if done is not None and done.scene is not None and image is not None:
        record["people"] = _people_records(done.scene, image)
    if errors:
        record["error"] = "; ".join(errors)
    if notices:
        record["notices"] = notices
    return record


def batch(
    input_path: Path,
    output_path: Path,
    checkpoint: str | None = None,
    backbone: str | None = None,
    device: str = "cpu",
    dtype: str | None = None,
    max_new_tokens: int = 256,
    temperature: float = 0.0,
    top_p: float = 1.0,
    seed: int | None = None,
) -> int:
    """Answer every conversation of a JSONL file with one model load; one output line per input line.

    Blank input lines are skipped. Lines that cannot be run get an output line with "error" and the
    run goes on; the exit status is 0 unless the files or the model cannot be used at all.
    """
    from tqdm import tqdm

    from posegpt.engine import Engine, GenerationOptions
    from posegpt.vision.pipeline import vision_for

    options = GenerationOptions(max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, seed=seed)
    try:
        lines = input_path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read --input {input_path}: {getattr(error, 'strerror', None) or error}") from None
    if output_path.resolve() == input_path.resolve():
        raise UserError("--output must not be the --input file")
    entries = [(number, line) for number, line in enumerate(lines, 1) if line.strip()]
    try:
        output_path.parent.mkdir(parents=True, exist_ok=True)
        out = output_path.open("w", encoding="utf-8")
    except OSError as error:
        raise UserError(f"cannot write --output {output_path}: {error.strerror or error}") from None

    started = time.perf_counter()
    failures = 0
    with out:
        try:
            model, description = _load_model(checkpoint, backbone, device, dtype)
        except UserError:
            out.close()
            output_path.unlink(missing_ok=True)
            raise
        print(f"Model: {description}", file=sys.stderr)
        # lines often ask several questions about one photo: its reading is kept for the next ones
        engine = Engine(model, vision=vision_for(model, cache_size=8))
        with tqdm(total=len(entries), file=sys.stderr, unit="line", desc="batch", dynamic_ncols=True) as bar:
            for number, line in entries:
                record = _batch_record(engine, line, number, input_path.parent, options)
                failures += "error" in record
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()  # a long run can be followed with `tail -f`
                bar.update(1)
    elapsed = time.perf_counter() - started
    print(f"Wrote {len(entries)} line(s) to {output_path} in {elapsed:.1f} s; {failures} with an error.")
    return 0


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    model = parser.add_argument_group("model")
    model.add_argument("--checkpoint", help="PoseGPT checkpoint folder or hub id (default: the committed "
                                            "default checkpoint if present, else the bare backbone)")
    model.add_argument("--backbone", help="language model: 'smollm2-135m' (default), a local model folder or a hub id")
    model.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="default cpu")
    model.add_argument("--dtype", choices=("float32", "bfloat16"), default=None,
                       help="default float32 on CPU, bfloat16 on CUDA")
    generation = parser.add_argument_group("generation")
    generation.add_argument("--max-new-tokens", type=int, default=256, help="longest reply in tokens (default 256)")
    generation.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default; chat, like the app, "
                            "then penalises repeated tokens ×1.1)")
    generation.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling with temperature > 0 (default 1)")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m posegpt", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render_parser = commands.add_parser(
        "render",
        help="render a pose file to PNG (+ .glb/.obj)",
        description="Render a pose (.npz with global_orient (N,3), body_pose (N,69)) as a picture and 3D files.",
    )
    source = render_parser.add_argument_group("pose source (one of)")
    source.add_argument("--pose", type=Path, help="pose file (.npz, smplx key names)")
    source.add_argument("--example", help="a built-in named pose, e.g. arms_up, squat, wave_left_hand")
    render_parser.add_argument("--out", type=Path, required=True, help="output PNG")
    render_parser.add_argument("--index", type=int, default=0, help="which pose of the file (default 0)")
    render_parser.add_argument("--glb", type=Path, help="also write the mesh as .glb (Y-up)")
    render_parser.add_argument("--obj", type=Path, help="also write the mesh as .obj")
    render_parser.add_argument("--image", type=Path, help="photo to draw the body onto")
    render_parser.add_argument("--camera", help="weak-perspective camera 's,tx,ty' in pixels (with --image)")
    render_parser.add_argument(
        "--body", choices=("auto", "anny", "smpl", "smplx"), default="auto",
        help="body model: auto = SMPL if its files are installed, else Anny",
    )
    render_parser.add_argument("--views", type=_parse_views, default=("front", "side"),
                               help="comma list of front,side,back,top (default front,side)")
    render_parser.add_argument("--size", type=int, default=512, help="pixels per view (default 512)")
    render_parser.add_argument("--backend", choices=("auto", "gl", "software"), default="auto",
                               help="renderer backend (default auto: GL if available)")
    render_parser.set_defaults(handler=render)

    chat_parser = commands.add_parser(
        "chat",
        help="chat in the terminal; poses are saved as PNG + .npz",
        description="Chat with PoseGPT in the terminal (or through a pipe: one user turn per line). "
                    "Replies stream as they are generated; each <POSE> is saved as OUT_DIR/turn{N}_pose{K}.png "
                    "(front + side) and .npz, and their paths are printed where the pose occurs. Commands: /reset, "
                    "/quit or /exit (or end of input), /help.",
    )
    _add_model_arguments(chat_parser)
    chat_parser.add_argument("--out-dir", type=Path, default=Path("posegpt_out"),
                             help="folder for the pose pictures and files (default ./posegpt_out)")
    chat_parser.add_argument("--body", choices=("auto", "anny", "smpl", "smplx"), default="auto",
                             help="body model for the pictures: auto = SMPL if its files are installed, else Anny")
    chat_parser.add_argument("--verbose", action="store_true", help="print tokens and tokens/s after each reply")
    chat_parser.set_defaults(handler=chat)

    batch_parser = commands.add_parser(
        "batch",
        help="answer a JSONL file of conversations (one model load)",
        description='Read IN.jsonl lines {"id", "messages": [{"role", "content"}, ...], "image"?: path} and write '
                    'OUT.jsonl lines {"id", "reply", "poses": [{"global_orient": [3], "body_pose": [69], '
                    '"betas"?: [10], "person"?: i}], "people"?: [{"box", "score"}], "error"?, "notices"?} in the '
                    'same order ("person" indexes "people", the people found in the image, left to right). A line '
                    'that cannot be run gets "error" (id = its line number when it has none) and the rest still '
                    "run. Relative image paths are looked up next to IN.jsonl, then in the working folder.",
    )
    batch_parser.add_argument("--input", dest="input_path", type=Path, required=True, metavar="IN.jsonl",
                              help="conversations, one JSON object per line")
    batch_parser.add_argument("--output", dest="output_path", type=Path, required=True, metavar="OUT.jsonl",
                              help="answers, one JSON object per input line (overwritten)")
    _add_model_arguments(batch_parser)
    batch_parser.add_argument("--seed", type=int, default=None,
                              help="random seed for sampling (temperature > 0), the same for every line")
    batch_parser.set_defaults(handler=batch)

    train_parser = commands.add_parser(
        "train",
        help="fine-tune PoseGPT from a YAML config (resumes a run that was interrupted)",
        description="Fine-tune PoseGPT: LoRA + <POSE> row + pose head on generated text-pose conversations. "
                    "Works under `accelerate launch` unchanged. Re-running the same config resumes from "
                    "OUTPUT_DIR/latest unless --restart is given.",
    )
    train_parser.add_argument("--config", type=Path, required=True, help="YAML file: one stage (e.g. configs/smollm2-135m.yaml) or a recipe of stages "
                                   "(configs/recipe-smollm2-135m.yaml: every stage in order, finished ones skipped)")
    train_parser.add_argument("--max-steps", type=int, default=None, help="override optim.max_steps")
    train_parser.add_argument("--output-dir", default=None, help="override output_dir")
    train_parser.add_argument("--restart", action="store_true", help="ignore an earlier run's state and start over")
    train_parser.set_defaults(handler=train)

    intent_parser = commands.add_parser(
        "train-intent",
        help="fit the pose-intent gate of a checkpoint (minutes): small talk then gets words, not a pose",
        description="Fit the pose-intent gate (posegpt/intent.py) on generated training conversations and the "
                    "general-chat prompts, and write intent_gate.safetensors + intent_gate.json into the checkpoint "
                    "folder (replacing an earlier gate). The engine then bans <POSE> in text-only turns the gate "
                    "says ask for no pose, and answers them with the base chat model.",
    )
    intent_parser.add_argument("--checkpoint", type=Path, required=True, help="PoseGPT checkpoint folder to fit the gate for")
    intent_parser.add_argument("--size", type=int, default=6000, help="generated training conversations (default 6000)")
    intent_parser.add_argument("--seed", type=int, default=0, help="data seed (default 0)")
    intent_parser.set_defaults(handler=train_intent)

    from posegpt.eval import text2pose as text2pose_eval

    eval_parser = commands.add_parser("eval", help="benchmarks on held-out data",
                                      description="Evaluate a model on held-out data.")
    benchmarks = eval_parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    text2pose_parser = benchmarks.add_parser(
        "text2pose", help="text → pose: checks, MPJPE, PA-MPJPE vs mean-pose and nearest-neighbour baselines",
        description=(text2pose_eval.__doc__ or "Text to pose evaluation.").splitlines()[0],
    )
    text2pose_eval.add_arguments(text2pose_parser)
    text2pose_parser.set_defaults(handler=text2pose_eval.run)

    from posegpt.eval import natural as natural_eval

    natural_parser = benchmarks.add_parser(
        "natural", help="people's own words: hand-written pose requests, follow-ups, small talk, 'N poses' requests",
        description=(natural_eval.__doc__ or "Natural-language evaluation.").splitlines()[0],
    )
    natural_eval.add_arguments(natural_parser)
    natural_parser.set_defaults(handler=natural_eval.run)

    from posegpt.eval import chat_quality

    chat_eval_parser = benchmarks.add_parser(
        "chat", help="is chat intact? perplexity on held-out general chat, and spot-check replies",
        description=(chat_quality.__doc__ or "Chat quality.").splitlines()[0],
    )
    chat_quality.add_arguments(chat_eval_parser)
    chat_eval_parser.set_defaults(handler=chat_quality.run)

    from posegpt.eval import image as image_eval

    image_eval_parser = benchmarks.add_parser(
        "image", help="photos: people found, MPJPE / PA-MPJPE of head, fit, final pose and baselines; real photos",
        description="Rendered scenes with known poses and real photos: detection recall/precision, per-person pose "
                    "errors (LLM head, specialist fit, final, mean/neutral pose), checks and overlays of real photos.",
    )
    image_eval.add_image_arguments(image_eval_parser)
    image_eval_parser.set_defaults(handler=image_eval.run_image)
    rpe_eval_parser = benchmarks.add_parser(
        "rpe", help="reasoning-based pose estimation: does a question about one person get that person's pose?",
        description="Rendered scenes: referring questions (position, size, clothing, posture, gesture) in held-out "
                    "phrasings; accuracy of the person the first <POSE> is about, per question kind.",
    )
    image_eval.add_rpe_arguments(rpe_eval_parser)
    rpe_eval_parser.set_defaults(handler=image_eval.run_rpe)
    from posegpt.eval import photos as photos_eval

    photos_eval_parser = benchmarks.add_parser(
        "photos", help="real photos labelled by hand: people found (recall / precision), the right person, stage times",
        description=(photos_eval.__doc__ or "Real photos.").splitlines()[0],
    )
    photos_eval.add_arguments(photos_eval_parser)
    photos_eval_parser.set_defaults(handler=photos_eval.run)
    return parser


def train(config: Path, max_steps: int | None = None, output_dir: str | None = None, restart: bool = False) -> int:
    """Run or resume a training run (or every stage of a recipe) and print where the final checkpoint is."""
    from posegpt.train import TrainConfig, load_recipe
    from posegpt.train import train as run_training

    stages = load_recipe(config)
    if stages is not None:
        if max_steps is not None or output_dir is not None:
            raise UserError("--max-steps and --output-dir apply to one stage's config, not to a recipe")
        for number, stage in enumerate(stages, 1):
            settings = TrainConfig.from_yaml(stage)
            final = Path(settings.output_dir) / "final"
            if final.is_dir() and not restart:
                print(f"stage {number}/{len(stages)} ({stage.name}) done before: {final}")
                continue
            print(f"stage {number}/{len(stages)}: {stage}")
            final = run_training(settings, resume=not restart)
        print(f"Final checkpoint: {final}")
        return 0
    settings = TrainConfig.from_yaml(config)
    if max_steps is not None:
        settings.optim.max_steps = max_steps
    if output_dir is not None:
        settings.output_dir = output_dir
    final = run_training(settings, resume=not restart)
    print(f"Final checkpoint: {final}")
    return 0


def train_intent(checkpoint: Path, size: int = 6000, seed: int = 0) -> int:
    """Fit the pose-intent gate for a checkpoint folder and print where it was written."""
    from posegpt.intent import fit_for_checkpoint

    if size < 100:
        raise UserError("--size must be at least 100")
    written = fit_for_checkpoint(checkpoint, size=size, seed=seed)
    print(f"Intent gate written: {written}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = vars(_build_parser().parse_args(argv))
    args.pop("command")
    args.pop("benchmark", None)
    handler: Callable[..., int] = args.pop("handler")
    try:
        return handler(**args)
    except (UserError, PoseError, BodyModelError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
