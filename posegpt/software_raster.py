"""Pure-NumPy z-buffer rasteriser: the fallback when no OpenGL context can be made.

It answers one geometric question, "which triangle is visible at each pixel centre, and where
inside it": `rasterize` returns a face index and perspective-correct barycentric weights per
pixel. Shading (normals, lights, material) belongs to `posegpt.render`, which applies the same
formula to these fragments as its GLSL shader applies to OpenGL's, so both backends look alike.

Conventions match OpenGL so the two backends agree pixel for pixel:
- input positions are clip coordinates (x, y, z, w) after the model-view-projection matrix;
- pixel (row i, column j) is sampled at its centre, window coordinates (j + 0.5, i + 0.5),
  rows counted from the top of the image (the GL image is flipped the same way on read-back);
- the nearest fragment (smallest NDC depth) wins; faces are not culled (both sides drawn);
- a face is front facing when it winds counter-clockwise with y pointing up (GL's default).

Speed comes from never looping over triangles one at a time: triangles are grouped by the size
of their pixel bounding box (rounded up to a power of two), every candidate pixel of a whole
group is tested at once, and the depth test is one `np.minimum.at` over packed (depth, face) keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Candidate pixels evaluated per NumPy batch: bounds temporary memory (~100 bytes each).
_MAX_CANDIDATES_PER_BATCH = 1 << 21
_DEPTH_BITS = 31  # depth quantisation; the face index fills the low 32 bits of the key
_FACE_BITS = 32


@dataclass(frozen=True)
class Fragments:
    """What is visible at each pixel. Pixels that no face covers have face_index == -1."""

    face_index: np.ndarray  # (H, W) int64, -1 where empty
    barycentric: np.ndarray  # (H, W, 3) float32, perspective-correct weights of the face's corners
    front_facing: np.ndarray  # (H, W) bool

    @property
    def covered(self) -> np.ndarray:
        """(H, W) bool mask of pixels that show the mesh."""
        return self.face_index >= 0


def rasterize(clip_positions: np.ndarray, faces: np.ndarray, width: int, height: int) -> Fragments:
    """Z-buffer the triangles `faces` of clip-space vertices `clip_positions` (V, 4).

    Triangles with a corner behind the eye (w <= 0) are dropped rather than clipped: the
    renderer places its near plane so that a mesh in front of the camera never needs clipping.
    """
    clip_positions = np.asarray(clip_positions, dtype=np.float64)  # (V, 4)
    faces = np.asarray(faces, dtype=np.int64)  # (F, 3)
    face_index = np.full(height * width, -1, dtype=np.int64)  # (H*W,)

    w = clip_positions[:, 3]  # (V,)
    safe_w = np.where(w > 1e-12, w, 1.0)
    window_x = (clip_positions[:, 0] / safe_w + 1.0) * (0.5 * width)  # (V,) pixels, left → right
    window_y = (1.0 - clip_positions[:, 1] / safe_w) * (0.5 * height)  # (V,) pixels, top → bottom
    ndc_depth = clip_positions[:, 2] / safe_w  # (V,) -1 near … +1 far

    keep = (w[faces] > 1e-12).all(axis=1)  # (F,)
    keep &= (np.abs(ndc_depth[faces]) <= 1.0).any(axis=1)  # wholly outside the depth range
    face_ids = np.nonzero(keep)[0]  # (F',)
    corner_x = window_x[faces[face_ids]]  # (F', 3)
    corner_y = window_y[faces[face_ids]]  # (F', 3)
    corner_depth = ndc_depth[faces[face_ids]]  # (F', 3)

    edges = _edge_equations(corner_x, corner_y)
    if edges is not None:
        face_ids, corner_x, corner_y, corner_depth, edge_a, edge_b, edge_c = _drop_degenerate(
            face_ids, corner_x, corner_y, corner_depth, *edges
        )
        # Pixel-index bounding boxes of the sample points (centres j + 0.5) inside each triangle.
        col_min = np.maximum(np.ceil(corner_x.min(axis=1) - 0.5), 0).astype(np.int64)
        col_max = np.minimum(np.floor(corner_x.max(axis=1) - 0.5), width - 1).astype(np.int64)
        row_min = np.maximum(np.ceil(corner_y.min(axis=1) - 0.5), 0).astype(np.int64)
        row_max = np.minimum(np.floor(corner_y.max(axis=1) - 0.5), height - 1).astype(np.int64)
        on_screen = (col_max >= col_min) & (row_max >= row_min)

        depth_plane = np.einsum("fij,fj->fi", np.stack([edge_a, edge_b, edge_c], axis=1), corner_depth)
        # depth_plane (F', 3): NDC depth = a * x + b * y + c over the triangle's plane in window space.
        packed_best = np.full(height * width, np.iinfo(np.int64).max, dtype=np.int64)  # (H*W,)
        for group in _groups_by_box_size(col_max - col_min + 1, row_max - row_min + 1, on_screen):
            _splat_group(
                group, face_ids, col_min, col_max, row_min, row_max,
                edge_a, edge_b, edge_c, depth_plane, width, packed_best,
            )
        hit = packed_best != np.iinfo(np.int64).max
        face_index[hit] = packed_best[hit] & ((1 << _FACE_BITS) - 1)

    face_index = face_index.reshape(height, width)
    barycentric, front_facing = _barycentric_at_pixels(face_index, faces, window_x, window_y, w)
    return Fragments(face_index=face_index, barycentric=barycentric, front_facing=front_facing)


def _edge_equations(corner_x: np.ndarray, corner_y: np.ndarray):
    """Per triangle, affine functions of (x, y) that give the three barycentric weights.

    Weight k = a[k] * x + b[k] * y + c[k]; all three are >= 0 inside the triangle whatever its
    winding, because each is divided by the triangle's signed doubled area.
    """
    if len(corner_x) == 0:
        return None
    x0, x1, x2 = corner_x.T  # each (F,)
    y0, y1, y2 = corner_y.T
    doubled_area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)  # (F,) signed
    # Degenerate triangles get inf/NaN here and are dropped right after by `_drop_degenerate`.
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse_area = 1.0 / doubled_area
        # Weight of corner 0 is the edge function of edge (1 → 2), and so on around the triangle.
        edge_a = np.stack([y1 - y2, y2 - y0, y0 - y1], axis=1) * inverse_area[:, None]  # (F, 3)
        edge_b = np.stack([x2 - x1, x0 - x2, x1 - x0], axis=1) * inverse_area[:, None]  # (F, 3)
        edge_c = np.stack([x1 * y2 - x2 * y1, x2 * y0 - x0 * y2, x0 * y1 - x1 * y0], axis=1)
        edge_c *= inverse_area[:, None]  # (F, 3)
    return edge_a, edge_b, edge_c, doubled_area


def _drop_degenerate(face_ids, corner_x, corner_y, corner_depth, edge_a, edge_b, edge_c, doubled_area):
    """Zero-area triangles cover no pixel centre (as in GL) and would divide by zero."""
    ok = np.abs(doubled_area) > 1e-12
    return (face_ids[ok], corner_x[ok], corner_y[ok], corner_depth[ok], edge_a[ok], edge_b[ok], edge_c[ok])


def _groups_by_box_size(box_width: np.ndarray, box_height: np.ndarray, on_screen: np.ndarray):
    """Yield index arrays of triangles whose boxes round up to the same power-of-two size.

    Within a group every triangle is tested against the same grid of candidate offsets, so a
    group costs one vectorised evaluation; rounding to powers of two wastes at most 4x work.
    Groups are split so that one batch never exceeds `_MAX_CANDIDATES_PER_BATCH` candidates.
    """
    visible = np.nonzero(on_screen)[0]
    if len(visible) == 0:
        return
    width_class = np.ceil(np.log2(box_width[visible])).astype(np.int64)  # (n,)
    height_class = np.ceil(np.log2(box_height[visible])).astype(np.int64)
    group_key = width_class * 64 + height_class
    order = np.argsort(group_key, kind="stable")
    sorted_keys = group_key[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts, ends):
        members = visible[order[start:end]]
        grid_width = 1 << int(width_class[order[start]])
        grid_height = 1 << int(height_class[order[start]])
        per_batch = max(1, _MAX_CANDIDATES_PER_BATCH // (grid_width * grid_height))
        for batch_start in range(0, len(members), per_batch):
            yield members[batch_start : batch_start + per_batch], grid_width, grid_height


def _splat_group(group, face_ids, col_min, col_max, row_min, row_max,
                 edge_a, edge_b, edge_c, depth_plane, width, packed_best) -> None:
    """Depth-test every candidate pixel of one group of same-sized triangles into packed_best."""
    members, grid_width, grid_height = group
    offsets = np.arange(grid_width * grid_height)
    columns = col_min[members, None] + (offsets % grid_width)[None, :]  # (n, G)
    rows = row_min[members, None] + (offsets // grid_width)[None, :]  # (n, G)
    in_box = (columns <= col_max[members, None]) & (rows <= row_max[members, None])  # (n, G)
    sample_x = columns + 0.5
    sample_y = rows + 0.5

    inside = in_box
    for k in range(3):  # barycentric weight k >= 0 (shared edges may be drawn twice: harmless)
        a, b, c = edge_a[members, k, None], edge_b[members, k, None], edge_c[members, k, None]
        weight = a * sample_x + b * sample_y + c  # (n, G)
        inside &= weight >= -1e-9
    plane = depth_plane[members]  # (n, 3)
    depth = plane[:, 0, None] * sample_x + plane[:, 1, None] * sample_y + plane[:, 2, None]  # (n, G)
    inside &= np.abs(depth) <= 1.0  # GL clips fragments outside the near/far range

    member_rows, candidate = np.nonzero(inside)
    if len(member_rows) == 0:
        return
    pixel = rows[member_rows, candidate] * width + columns[member_rows, candidate]  # (m,)
    quantised = ((depth[member_rows, candidate] + 1.0) * (0.5 * ((1 << _DEPTH_BITS) - 1))).astype(np.int64)
    # One int64 per fragment: the nearest depth wins, ties go to the lower face id.
    packed = (quantised << _FACE_BITS) | face_ids[members[member_rows]]
    np.minimum.at(packed_best, pixel, packed)


def _barycentric_at_pixels(face_index, faces, window_x, window_y, w):
    """Perspective-correct barycentric weights (H, W, 3) and facing (H, W) at covered pixels."""
    height, width = face_index.shape
    barycentric = np.zeros((height, width, 3), dtype=np.float32)
    front_facing = np.zeros((height, width), dtype=bool)
    rows, columns = np.nonzero(face_index >= 0)
    if len(rows) == 0:
        return barycentric, front_facing
    corners = faces[face_index[rows, columns]]  # (P, 3)
    x = window_x[corners]  # (P, 3)
    y = window_y[corners]
    px = columns + 0.5
    py = rows + 0.5
    doubled_area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (y[:, 1] - y[:, 0])
    screen_weights = np.stack(
        [
            (x[:, 1] - px) * (y[:, 2] - py) - (x[:, 2] - px) * (y[:, 1] - py),
            (x[:, 2] - px) * (y[:, 0] - py) - (x[:, 0] - px) * (y[:, 2] - py),
            (x[:, 0] - px) * (y[:, 1] - py) - (x[:, 1] - px) * (y[:, 0] - py),
        ],
        axis=1,
    ) / doubled_area[:, None]  # (P, 3), affine in window space
    # Attributes are affine in clip space, not window space: divide by w and renormalise.
    perspective = np.clip(screen_weights, 0.0, None) / w[corners]
    perspective /= np.maximum(perspective.sum(axis=1, keepdims=True), 1e-30)
    barycentric[rows, columns] = perspective
    # Window y points down here, so GL's counter-clockwise (y up) means a negative area.
    front_facing[rows, columns] = doubled_area < 0
    return barycentric, front_facing
