r"""Seeing people in photos: detection, 3D landmarks, SMPL fits, cameras, and features for the LLM.

Pipeline (`posegpt.vision.pipeline.PersonFinder`): photo → people (crop proposals + BlazePose,
`landmarks.py`) → a fitted SMPL pose and an overlay camera per person (`fit.py`) → appearance
cues (`appearance.py`) → one feature vector and one short description per person
(`features.py`), which `posegpt.model` projects into the LLM's embedding space.

Why this way: no CLIP-like weights exist offline, so a text-only PoseGPT does not see pixels.
This module finds and measures every person, and the LLM reads them as people — a line of words
and two learned embeddings each — and reasons over those (vision-language backbones take the
pixels through their own processor instead)::

    photo ─ landmarks.py    BlazePose (the tflite files inside the mediapipe wheel), run on the full
            │               frame again and again with each person found painted out, then below
            │               each face the face detectors find (a face whose body it cannot read is
            │               a person with the body unseen), then on crop grids for small people,
            │               each candidate confirmed by a second look
            ├ fit.py        SMPL rotations fitted to each person's 33 landmarks: x/y from the image
            │               points, depth from BlazePose as a weak hint, bone lengths, joint limits;
            │               a weak-perspective camera per person for the overlay
            ├ appearance.py clothing colours (top, trousers) and their names
            └ features.py   per person: words ("on the right, tall, near the camera, red top, blue
                            trousers, sitting, left arm up, facing the camera") + the feature vector
    prompt: "[Photo: 3 people]\nPerson 1: on the left, … <PERSON><PERSON>\nPerson 2: …" + the question;
            the <PERSON> placeholders (found from token ids) carry the projected features
    LLM ─ "Person 2 (in the middle): <POSE>"  at <POSE>: the pose head decodes the pose, the pointer
            picks whose it is, and that person's landmark fit refines the head's pose (the head is
            the prior); questions that need no pose ("How many people are there?") get words, and
            "everyone's pose" gives one pose per person
    app ─ the pose drawn over the photo on the chosen person + front/side views + 3D viewer
          (`posegpt.artifacts`)

The model learns this from synthetic scenes, never from photos (`posegpt.data.scenes`, and the
checkpoint's model card): landmarks made the way BlazePose reports them and read by this same
fit and feature code.

What limits the fit, measured on the 40 rendered scenes of `eval image` (2026-12-03; the
results in `eval_out/image/results.md`): the gap between the final pose and the fit to perfect
landmarks is BlazePose's landmark error, mostly depth (on these scenes its z is ~104 mm off per
joint, its x/y ~55 mm, x/y taken from its image points ~39 mm). Taking x/y from the image points
and depth as a weak hint brought the fit from 86 to 80 mm PA-MPJPE (84.6 → 78.6 mm on 500
detections of training poses). Tried and not kept: BlazePose's heavy landmark model (npm
`@mediapipe/pose`, 90 mm, no better); a learned lifter (landmarks → pose MLP, trained on
synthetic and 2,662 real detections of training poses), 38 mm on held-back views of training
poses but 83 mm on the held-out poses — the offline pose sources are too few to learn a general
prior.
"""
