"""Evaluation: geometric pose checks, pose metrics, baselines and the text → pose benchmark."""
