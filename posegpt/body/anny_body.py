"""The default body: Anny (MakeHuman-based, CC0 assets) with its SOMA rig, driven by SMPL poses.

Anny's own forward recomputes the rest shape from ~135 blendshapes on every call (65–130 ms). We
take from it only what a pose needs — the rest mesh, skinning weights and bone frames for one
phenotype (an `AnnyRig`) — and skin that ourselves (a few ms). The rig of the default phenotype
ships with the package, so the default path never builds Anny; other phenotypes build Anny's
blendshape cache once (about a minute, with a progress bar) into the user cache.

SMPL's 24 joints map 1:1 onto SOMA bones and compose the same way (world-aligned local
rotations); every other bone keeps its T-pose orientation relative to its parent.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from posegpt.body.base import BodyModelError, BodyOutput
from posegpt.pose import NUM_JOINTS, PHENOTYPE_NAMES, Pose, axis_angle_to_matrix

logger = logging.getLogger(__name__)

#: SMPL joint → SOMA bone(s). SMPL's hand joint drives the four finger bases.
SMPL_TO_SOMA_BONES: tuple[tuple[str, ...], ...] = (
    ("Root",), ("LeftLeg",), ("RightLeg",), ("Spine1",), ("LeftShin",), ("RightShin",),
    ("Spine2",), ("LeftFoot",), ("RightFoot",), ("Chest",), ("LeftToeBase",), ("RightToeBase",),
    ("Neck1",), ("LeftShoulder",), ("RightShoulder",), ("Head",), ("LeftArm",), ("RightArm",),
    ("LeftForeArm",), ("RightForeArm",), ("LeftHand",), ("RightHand",),
    ("LeftHandIndex2", "LeftHandMiddle2", "LeftHandRing2", "LeftHandPinky2"),
    ("RightHandIndex2", "RightHandMiddle2", "RightHandRing2", "RightHandPinky2"),
)

DEFAULT_PHENOTYPE: dict[str, float] = {name: 0.5 for name in PHENOTYPE_NAMES}
DEFAULT_RIG_PATH = Path(__file__).resolve().parent / "data" / "anny_default_rig.safetensors"


def _phenotype_key(phenotype: Mapping[str, float] | None) -> tuple[float, ...]:
    """A hashable, rounded phenotype (slider steps finer than 1e-3 make no visible difference)."""
    merged = {**DEFAULT_PHENOTYPE, **(phenotype or {})}
    return tuple(round(float(merged[name]), 3) for name in PHENOTYPE_NAMES)


@dataclass(frozen=True)
class AnnyRig:
    """Everything needed to skin one Anny phenotype; tensors are float32 unless noted.

    Posing bone k with world rotation G_k (relative to the T-pose) and head position p_k moves a
    rest vertex v by M_k = [G_k·B_k | p_k − G_k·B_k·r_k], where B_k maps the rest frame of the bone
    onto its T-pose frame and r_k is its rest head; a vertex is the skin-weighted sum over bones.
    """

    rest_vertices: torch.Tensor  # (V, 3) Anny's rest mesh (its own rest frame)
    faces: torch.Tensor  # (F, 3) int64
    skin_indices: torch.Tensor  # (V, K) int64 bone index of each skinning influence
    skin_weights: torch.Tensor  # (V, K) weights, rows sum to 1
    rest_heads: torch.Tensor  # (B, 3) bone heads in the rest mesh frame
    rest_to_tpose: torch.Tensor  # (B, 3, 3) B_k: rest bone frame → T-pose bone frame
    tpose_heads: torch.Tensor  # (B, 3) bone heads in the T-pose, SMPL frame, pelvis at origin
    parents: tuple[int, ...]  # (B,) parent bone of each bone, -1 for the root
    bone_labels: tuple[str, ...]
    phenotype: tuple[float, ...]

    @property
    def num_bones(self) -> int:
        return len(self.parents)

    def save(self, path: str | Path) -> Path:
        """Safetensors + JSON metadata (no pickle)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {
            "rest_vertices": self.rest_vertices.float().contiguous(),
            "faces": self.faces.to(torch.int32).contiguous(),
            "skin_indices": self.skin_indices.to(torch.uint8).contiguous(),
            "skin_weights": self.skin_weights.float().contiguous(),
            "rest_heads": self.rest_heads.float().contiguous(),
            "rest_to_tpose": self.rest_to_tpose.float().contiguous(),
            "tpose_heads": self.tpose_heads.float().contiguous(),
        }
        metadata = {
            "parents": json.dumps(list(self.parents)),
            "bone_labels": json.dumps(list(self.bone_labels)),
            "phenotype": json.dumps(dict(zip(PHENOTYPE_NAMES, self.phenotype))),
            "format": "posegpt-anny-rig-1",
        }
        save_file(tensors, str(path), metadata=metadata)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "AnnyRig":
        from safetensors import safe_open

        path = Path(path)
        try:
            with safe_open(str(path), framework="pt") as handle:
                metadata = handle.metadata() or {}
            tensors = load_file(str(path))
            phenotype = json.loads(metadata["phenotype"])
            return cls(
                rest_vertices=tensors["rest_vertices"].float(),
                faces=tensors["faces"].long(),
                skin_indices=tensors["skin_indices"].long(),
                skin_weights=tensors["skin_weights"].float(),
                rest_heads=tensors["rest_heads"].float(),
                rest_to_tpose=tensors["rest_to_tpose"].float(),
                tpose_heads=tensors["tpose_heads"].float(),
                parents=tuple(json.loads(metadata["parents"])),
                bone_labels=tuple(json.loads(metadata["bone_labels"])),
                phenotype=tuple(float(phenotype[name]) for name in PHENOTYPE_NAMES),
            )
        except Exception as error:  # corrupt, truncated or foreign file
            raise BodyModelError(
                f"the Anny rig file {path} is unreadable ({type(error).__name__}: {error}); "
                "delete it and it will be rebuilt"
            ) from None

    @classmethod
    def from_anny(cls, model: "torch.nn.Module", phenotype: Mapping[str, float] | None = None) -> "AnnyRig":
        """Extract the rig of one phenotype from a constructed `anny.Anny(rig="soma")`."""
        key = _phenotype_key(phenotype)
        model = model.to(torch.float64)
        with torch.no_grad():
            output = model(phenotype_kwargs=dict(zip(PHENOTYPE_NAMES, key)))
        rest_poses = output["rest_bone_poses"][0]  # (B, 4, 4) rest frame of each bone
        tpose_poses = output["bone_poses"][0]  # (B, 4, 4) identity pose = T-pose in SMPL frame
        pelvis = tpose_poses[0, :3, 3]
        return cls(
            rest_vertices=output["rest_vertices"][0].float(),
            faces=model.get_triangular_faces().long(),
            skin_indices=model.vertex_bone_indices.long(),
            skin_weights=model.vertex_bone_weights.float(),
            rest_heads=rest_poses[:, :3, 3].float(),
            rest_to_tpose=(tpose_poses[:, :3, :3] @ rest_poses[:, :3, :3].transpose(-1, -2)).float(),
            tpose_heads=(tpose_poses[:, :3, 3] - pelvis).float(),
            parents=tuple(int(p) for p in model.bone_parents),
            bone_labels=tuple(model.bone_labels),
            phenotype=key,
        )


class _BuildProgress(logging.Handler):
    """Turns anny's cache-builder log lines into steps of a tqdm bar."""

    def __init__(self, bar: "object") -> None:
        super().__init__(logging.INFO)
        self.bar = bar

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Saved built model data"):
            self.bar.update(1)  # type: ignore[attr-defined]
        elif message.startswith("No cached model data"):
            # "... found at <dir>/v14/<stage>_<hash>.safetensors, building ..." → "<stage>"
            file_name = Path(message.split(" at ", 1)[-1].split(",")[0]).name
            self.bar.set_postfix_str(file_name.rsplit("_", 1)[0])  # type: ignore[attr-defined]


def build_anny_model(cache: Path, device: str | torch.device = "cpu") -> "torch.nn.Module":
    """Construct `anny.Anny(rig="soma")`, building its blendshape cache on first use (~1 min).

    Afterwards only the compact cache file is needed, so the ~1 GB of intermediate files anny
    writes are deleted.
    """
    from tqdm.auto import tqdm

    import anny
    import anny.paths

    anny.paths.set_anny_cache_path(cache)
    first_time = not any(cache.glob("v*/build_compact_model_data_*.safetensors"))
    bar = tqdm(total=4, desc="Building the Anny body model (one time, ~1-2 min)", unit="step", disable=not first_time)
    handler = _BuildProgress(bar)
    anny_logger = logging.getLogger("anny.models.model_data")
    previous_level = anny_logger.level
    anny_logger.addHandler(handler)
    anny_logger.setLevel(logging.INFO)
    try:
        model = anny.Anny(rig="soma")
    except Exception as error:
        raise BodyModelError(
            f"building the Anny body model failed ({type(error).__name__}: {error}); "
            f"check free disk space in {cache} (~1 GB needed once) and that `anny==0.6.2` is installed"
        ) from error
    finally:
        anny_logger.removeHandler(handler)
        anny_logger.setLevel(previous_level)
        bar.n = bar.total
        bar.close()
    if first_time:
        for leftover in cache.glob("v*/*.safetensors"):
            if not leftover.name.startswith("build_compact_model_data_"):
                leftover.unlink(missing_ok=True)
    return model.to(device)


def _levels(parents: tuple[int, ...]) -> list[torch.Tensor]:
    """Bones grouped by depth in the tree, so FK runs one batched step per level."""
    depth = [0] * len(parents)
    for bone, parent in enumerate(parents):
        depth[bone] = 0 if parent < 0 else depth[parent] + 1
    return [
        torch.tensor([b for b in range(len(parents)) if depth[b] == level])
        for level in range(1, max(depth) + 1)
    ]


class AnnyBody:
    """SMPL pose → Anny mesh, with Anny's phenotype sliders instead of SMPL betas.

    Rigs are cached per phenotype (a few MB each); the full Anny model is only built when a
    non-default phenotype is first asked for.
    """

    name = "anny"

    def __init__(
        self,
        device: str | torch.device = "cpu",
        cache: str | Path | None = None,
        max_cached_rigs: int = 8,
    ) -> None:
        from posegpt.paths import cache_dir

        self.device = torch.device(device)
        self.cache = Path(cache) if cache is not None else cache_dir() / "anny"
        self.max_cached_rigs = max_cached_rigs
        self._rigs: OrderedDict[tuple[float, ...], dict[str, torch.Tensor]] = OrderedDict()
        self._anny_model: torch.nn.Module | None = None
        self._lock = threading.Lock()
        default_rig = AnnyRig.load(DEFAULT_RIG_PATH)
        self._topology = default_rig
        self._faces = default_rig.faces.numpy().astype(np.int64)
        self._smpl_bone_index = [
            [default_rig.bone_labels.index(label) for label in labels] for labels in SMPL_TO_SOMA_BONES
        ]
        self._levels = [level.to(self.device) for level in _levels(default_rig.parents)]
        self._parents = torch.tensor([max(p, 0) for p in default_rig.parents], device=self.device)
        self._store(default_rig)

    # -- rigs ----------------------------------------------------------------------------------

    def _store(self, rig: AnnyRig) -> dict[str, torch.Tensor]:
        num_vertices = rig.rest_vertices.shape[0]
        dense_weights = torch.zeros(num_vertices, rig.num_bones)  # (V, B)
        dense_weights.scatter_add_(1, rig.skin_indices, rig.skin_weights)
        tensors = {
            "rest_vertices": rig.rest_vertices,
            "weights": dense_weights,
            "rest_heads": rig.rest_heads,
            "rest_to_tpose": rig.rest_to_tpose,
            "tpose_heads": rig.tpose_heads,
        }
        tensors = {name: value.to(self.device) for name, value in tensors.items()}
        self._rigs[rig.phenotype] = tensors
        while len(self._rigs) > self.max_cached_rigs:
            oldest = next(iter(self._rigs))
            if oldest == _phenotype_key(None):  # the default rig always stays
                self._rigs.move_to_end(oldest)
                oldest = next(iter(self._rigs))
            self._rigs.pop(oldest)
        return tensors

    def _rig_tensors(self, phenotype: Mapping[str, float] | None) -> dict[str, torch.Tensor]:
        key = _phenotype_key(phenotype)
        with self._lock:
            if key in self._rigs:
                self._rigs.move_to_end(key)
                return self._rigs[key]
            rig_file = self.cache / "rigs" / ("rig_" + "_".join(f"{v:.3f}" for v in key) + ".safetensors")
            if rig_file.exists():
                try:
                    return self._store(AnnyRig.load(rig_file))
                except BodyModelError as error:
                    logger.warning("%s", error)
            if self._anny_model is None:
                self._anny_model = build_anny_model(self.cache)
            rig = AnnyRig.from_anny(self._anny_model, dict(zip(PHENOTYPE_NAMES, key)))
            rig.save(rig_file)
            return self._store(rig)

    @property
    def faces(self) -> np.ndarray:
        """(F, 3) int64 triangles, shared by every phenotype."""
        return self._faces

    # -- posing --------------------------------------------------------------------------------

    def bone_rotations(self, pose: Pose) -> torch.Tensor:
        """(N, B, 3, 3) local rotation of every SOMA bone: SMPL's where mapped, identity elsewhere."""
        smpl_rotations = axis_angle_to_matrix(pose.axis_angle().to(self.device))  # (N, 24, 3, 3)
        rotations = torch.eye(3, device=self.device).repeat(len(pose), self._topology.num_bones, 1, 1)
        for joint in range(NUM_JOINTS):
            rotations[:, self._smpl_bone_index[joint]] = smpl_rotations[:, joint : joint + 1]
        return rotations

    def pose_bones(self, rotations: torch.Tensor, rig: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """FK over the SOMA tree. rotations (N, B, 3, 3) → world rotations (N, B, 3, 3), heads (N, B, 3)."""
        heads_t = rig["tpose_heads"]  # (B, 3)
        world = rotations.clone()  # root: its local rotation is its world rotation
        heads = heads_t.expand(rotations.shape[0], -1, -1).clone()  # (N, B, 3)
        for bones in self._levels:
            parents = self._parents[bones]
            offsets = (heads_t[bones] - heads_t[parents])[None, :, :, None]  # (1, b, 3, 1)
            heads[:, bones] = heads[:, parents] + (world[:, parents] @ offsets)[..., 0]
            world[:, bones] = world[:, parents] @ rotations[:, bones]
        return world, heads

    def __call__(self, pose: Pose) -> BodyOutput:
        rig = self._rig_tensors(pose.phenotype)
        world, heads = self.pose_bones(self.bone_rotations(pose), rig)  # (N,B,3,3), (N,B,3)
        linear = world @ rig["rest_to_tpose"]  # (N, B, 3, 3)
        translation = heads - (linear @ rig["rest_heads"][None, :, :, None])[..., 0]  # (N, B, 3)
        transforms = torch.cat([linear, translation[..., None]], dim=-1)  # (N, B, 3, 4)
        blended = (rig["weights"] @ transforms.flatten(2)).unflatten(-1, (3, 4))  # (N, V, 3, 4)
        rest = rig["rest_vertices"]  # (V, 3)
        vertices = (blended[..., :3] @ rest[None, :, :, None])[..., 0] + blended[..., 3]  # (N, V, 3)
        joints = torch.stack([heads[:, bones].mean(dim=1) for bones in self._smpl_bone_index], dim=1)
        return BodyOutput(vertices=vertices, joints=joints, faces=self._faces)
