"""Seeing people in photos: detection, 3D landmarks, SMPL fits, cameras, and features for the LLM.

Pipeline (`posegpt.vision.pipeline.PersonFinder`): photo → people (crop proposals + BlazePose,
`landmarks.py`) → a fitted SMPL pose and an overlay camera per person (`fit.py`) → appearance
cues (`appearance.py`) → one feature vector and one short description per person
(`features.py`), which `posegpt.model` projects into the LLM's embedding space.
"""
