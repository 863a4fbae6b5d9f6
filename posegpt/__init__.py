"""PoseGPT: chat about 3D human pose. An LLM emits <POSE> tokens that a head decodes to SMPL bodies.

The library never imports gradio (the UI lives in `demo/`). Start with `posegpt.pose` (the pose
type and conventions), `posegpt.body` (pose → mesh) and `posegpt.render` (mesh → picture/files).
"""

from posegpt.pose import Pose, PoseError

__version__ = "0.1.0"
__all__ = ["Pose", "PoseError", "__version__"]
