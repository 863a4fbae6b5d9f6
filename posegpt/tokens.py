"""The special token that marks a pose in text.

Its own tiny module so that data builders, evaluation and the web app can name it without
importing transformers (which `posegpt.model` needs).
"""

POSE_TOKEN = "<POSE>"
