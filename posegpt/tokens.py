"""The special tokens PoseGPT adds to a backbone's vocabulary.

Their own tiny module so that data builders, evaluation and the web app can name them without
importing transformers (which `posegpt.model` needs).
"""

POSE_TOKEN = "<POSE>"  # the model writes it where a pose belongs; its hidden state is decoded
PERSON_TOKEN = "<PERSON>"  # placeholder in the prompt, replaced by a projected person's features
