"""The Gradio page: chat on the left, the selected pose in 3D with its downloads on the right.

Every handler here is thin: it finds (or starts) the tab's `ChatSession`, calls `ChatService`,
and redraws from the session. Input problems become a yellow warning toast and change nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import gradio as gr

from demo.chat import ChatService, ChatSession, UserInputError
from posegpt.engine import GenerationOptions
from posegpt.pose import PHENOTYPE_NAMES

ASSETS = Path(__file__).resolve().parents[1] / "assets"
EXAMPLE_PROMPTS = [
    "Raise your left arm above your head.",
    "Show me someone surrendering to the police.",
    "What would a sprinter do right after winning the final?",
    "Stand on your right leg with your hands on your hips.",
    "Hello! What can you do?",
]
SESSION_TTL_SECONDS = 4 * 3600  # idle sessions (and their files) are dropped after this
CSS = """
#posegpt-chat .message img {max-height: 320px; width: auto;}
"""


EXAMPLE_PHOTOS = (  # (file in assets/photos, question); see assets/README.md for where they come from
    ("group_scene.jpg", "Show me the pose of the person who is sitting."),
    ("astronaut.jpg", "What is the pose of the person in this photo?"),
)


def _example_photos() -> list[dict[str, Any]]:
    return [{"text": question, "files": [str(ASSETS / "photos" / name)]}
            for name, question in EXAMPLE_PHOTOS if (ASSETS / "photos" / name).is_file()]


def _close(session: ChatSession | None) -> None:
    if session is not None:
        session.close()


class PoseGPTInterface:
    """Builds the Blocks and holds the handlers, which need the service and the GPU wrapper."""

    def __init__(self, service: ChatService, description: str, max_new_tokens: int = 256,
                 gpu: Callable[[Callable], Callable] = lambda fn: fn) -> None:
        self.service = service
        self.description = description
        self.max_new_tokens = max_new_tokens
        self._stream = gpu(self._stream_plain)

    # -- helpers ------------------------------------------------------------------------------

    def _session(self, session: ChatSession | None) -> ChatSession:
        return session if session is not None else self.service.new_session()

    @staticmethod
    def _pose_panel(session: ChatSession, key: str | None = None) -> tuple[Any, ...]:
        """Selector, 3D view and three download buttons for pose `key` (default: the latest)."""
        records = session.poses()
        chosen = session.find_pose(key) or (records[-1] if records else None)
        selector = gr.Dropdown(choices=[(r.label, r.key) for r in records], value=chosen.key if chosen else None,
                               interactive=bool(records))
        if chosen is None:
            return selector, None, *(gr.DownloadButton(value=None, interactive=False) for _ in range(3))
        files = chosen.files
        buttons = [
            gr.DownloadButton(value=str(path) if path else None, interactive=path is not None)
            for path in (files.npz, files.obj, files.glb)
        ]
        return selector, (str(files.glb) if files.glb else None), *buttons

    def _outputs(self, session: ChatSession, textbox: Any, with_panel: bool = True) -> tuple[Any, ...]:
        panel = self._pose_panel(session) if with_panel else (gr.skip(),) * 5
        return (session.history(), session, textbox, *panel)

    def _stream_plain(self, stream: Iterator[ChatSession], session: ChatSession) -> Iterator[tuple[Any, ...]]:
        busy = gr.MultimodalTextbox(value=None, interactive=False)
        shown_poses = -1
        try:
            for _ in stream:
                poses = len(session.poses())
                yield self._outputs(session, busy, with_panel=poses != shown_poses)
                shown_poses = poses
        except UserInputError as problem:
            gr.Warning(str(problem))
        yield self._outputs(session, gr.MultimodalTextbox(interactive=True))

    @staticmethod
    def _options(temperature: float, max_new_tokens: float) -> GenerationOptions:
        return GenerationOptions.for_chat(max(1, int(max_new_tokens)), max(0.0, float(temperature)))

    # -- handlers -----------------------------------------------------------------------------

    def submit(self, message: dict | str | None, session: ChatSession | None, temperature: float,
               max_new_tokens: float) -> Iterator[tuple[Any, ...]]:
        """Send a message (text and an optional photo) and stream the reply."""
        session = self._session(session)
        if isinstance(message, str):
            message = {"text": message, "files": []}
        message = message or {"text": "", "files": []}
        files = message.get("files") or []
        photo = files[-1] if files else None
        if isinstance(photo, dict):  # gradio_client sends file dicts
            photo = photo.get("path")
        stream = self.service.respond(session, message.get("text"), photo, self._options(temperature, max_new_tokens))
        yield from self._stream(stream, session)

    def retry(self, session: ChatSession | None, temperature: float, max_new_tokens: float) -> Iterator[tuple[Any, ...]]:
        session = self._session(session)
        yield from self._stream(self.service.retry(session, self._options(temperature, max_new_tokens)), session)

    def _change(self, session: ChatSession | None, action: Callable[[ChatSession], Any]) -> tuple[Any, ...]:
        """Apply a quick change to the session; a refusal becomes a warning toast."""
        session = self._session(session)
        try:
            action(session)
        except UserInputError as problem:
            gr.Warning(str(problem))
        return self._outputs(session, gr.skip())

    def undo(self, session: ChatSession | None) -> tuple[Any, ...]:
        return self._change(session, self.service.undo)

    def clear(self, session: ChatSession | None) -> tuple[Any, ...]:
        return self._change(session, self.service.clear)

    def stop(self, session: ChatSession | None) -> tuple[Any, ...]:
        session = self._session(session)
        self.service.stop(session)
        return self._outputs(session, gr.MultimodalTextbox(interactive=True))

    def select_pose(self, key: str | None, session: ChatSession | None) -> tuple[Any, ...]:
        if session is None:
            return None, *(gr.DownloadButton(value=None, interactive=False) for _ in range(3))
        return self._pose_panel(session, key)[1:]

    def restyle(self, session: ChatSession | None, body: str, *sliders: float,
                progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[Any, ...]:
        """Draw every pose again with another body or shape; the model is not asked again."""
        phenotype = dict(zip(PHENOTYPE_NAMES, sliders))
        return self._change(session, lambda chosen: self.service.restyle(chosen, body=body, phenotype=phenotype))

    def ask(self, message: str, temperature: float = 0.0, max_new_tokens: int = 256) -> dict[str, Any]:
        """One question, one answer, no history: → {"reply", "poses": [{"global_orient", "body_pose"}], "notes"}.

        The reply keeps a `<POSE>` marker where each pose was generated. (Photos and multi-turn
        chat go through the `/chat` endpoint.)"""
        session = self.service.new_session()
        try:
            stream = self.service.respond(session, message, None, self._options(temperature, max_new_tokens))
            for _ in stream:
                pass
            turn = session.turns[-1]
            poses = [{"global_orient": r.pose.global_orient[0].tolist(), "body_pose": r.pose.body_pose[0].tolist()}
                     for r in turn.poses]
            return {"reply": turn.reply, "poses": poses, "notes": turn.notices + turn.errors}
        except UserInputError as problem:
            return {"reply": "", "poses": [], "notes": [str(problem)], "error": str(problem)}
        finally:
            session.close()

    # -- layout -------------------------------------------------------------------------------

    def build(self) -> gr.Blocks:
        with gr.Blocks(title="PoseGPT", delete_cache=(3600, 6 * 3600)) as blocks:
            session = gr.State(None, time_to_live=SESSION_TTL_SECONDS, delete_callback=_close)
            photos = (
                " Upload a photo and ask about someone in it (*what is the person on the left doing?*, "
                "*the tallest one*): their pose is drawn over the photo, the chosen person in an orange box."
                if self.service.sees_photos else ""
            )
            gr.Markdown(
                "## PoseGPT — chat about human poses\n"
                "Ask for a pose in your own words (*raise your left arm*, *someone who just won a race*); "
                f"every pose in the reply is drawn as a body.{photos} Model: {self.description}."
            )
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="Chat", height=600, elem_id="posegpt-chat", layout="bubble",
                                         placeholder="Ask for a pose, e.g. *raise your left arm above your head*, or upload a "
                                                     "photo and ask about someone in it.")
                    textbox = gr.MultimodalTextbox(
                        placeholder="Type a message, or upload a photo and ask about it…", file_types=["image"],
                        file_count="single", sources=["upload"], submit_btn=True, stop_btn=True, show_label=False,
                        elem_id="posegpt-input",
                    )
                    gr.Examples(
                        examples=[{"text": prompt, "files": []} for prompt in EXAMPLE_PROMPTS] + _example_photos(),
                        inputs=textbox, label="Try these",
                    )
                with gr.Column(scale=2):
                    viewer = gr.Model3D(label="3D body (drag to turn)", height=420, clear_color=(1.0, 1.0, 1.0, 1.0),
                                        elem_id="posegpt-3d")
                    selector = gr.Dropdown(label="Pose shown", choices=[], interactive=False)
                    with gr.Row():
                        download_npz = gr.DownloadButton("Pose (.npz)", interactive=False, size="sm")
                        download_obj = gr.DownloadButton("Mesh (.obj)", interactive=False, size="sm")
                        download_glb = gr.DownloadButton("Mesh (.glb)", interactive=False, size="sm")
                    with gr.Accordion("Settings", open=False):
                        temperature = gr.Slider(0.0, 1.5, value=0.0, step=0.05, label="Temperature (0 = always the most likely words)")
                        max_tokens = gr.Slider(16, self.max_new_tokens, value=min(256, self.max_new_tokens), step=16,
                                               label="Longest reply (tokens)")
                        kinds = self.service.body_kinds()
                        body = gr.Radio(kinds, value=self.service.default_body, label="Body model",
                                        info="SMPL / SMPL-X appear here when their files are installed (see README).")
                        with gr.Accordion("Body shape (Anny)", open=False):
                            sliders = [gr.Slider(0.0, 1.0, value=0.5, step=0.05, label=name.capitalize())
                                       for name in PHENOTYPE_NAMES]
                            reset = gr.Button("Average shape", size="sm")

            panel = [selector, viewer, download_npz, download_obj, download_glb]
            outputs = [chatbot, session, textbox, *panel]
            generation = [temperature, max_tokens]
            sent = textbox.submit(self.submit, [textbox, session, *generation], outputs, api_name="chat",
                                  show_progress="hidden")
            retried = chatbot.retry(self.retry, [session, *generation], outputs, api_name="retry", show_progress="hidden")
            textbox.stop(self.stop, [session], outputs, cancels=[sent, retried], api_name="stop")
            chatbot.undo(self.undo, [session], outputs, api_name="undo")
            chatbot.clear(self.clear, [session], outputs, api_name="clear")
            selector.input(self.select_pose, [selector, session], panel[1:], api_name="select_pose")
            restyle_inputs = [session, body, *sliders]
            body.input(self.restyle, restyle_inputs, outputs, api_name="restyle")
            for slider in sliders:
                slider.release(self.restyle, restyle_inputs, outputs, api_visibility="private")
            reset.click(lambda: [0.5] * len(sliders), None, sliders, api_visibility="private").then(
                self.restyle, restyle_inputs, outputs, api_visibility="private")
            gr.api(self.ask, api_name="ask")
        return blocks


def build_demo(service: ChatService, description: str, max_new_tokens: int = 256,
               gpu: Callable[[Callable], Callable] = lambda fn: fn) -> gr.Blocks:
    """The whole page, ready for `.queue(...).launch(...)`."""
    return PoseGPTInterface(service, description, max_new_tokens, gpu).build()
