"""Pose sources and (later) text–pose data."""
