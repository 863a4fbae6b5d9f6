"""The official SMPL / SMPL-X body, from files the user downloads (they are licence-gated).

SMPL comes from https://smpl.is.tue.mpg.de ("SMPL for Python": ``basicmodel_*_lbs_10_207_0_v1.1.0.pkl``,
often renamed ``SMPL_NEUTRAL.pkl``) and SMPL-X from https://smpl-x.is.tue.mpg.de (``SMPLX_NEUTRAL.npz``).
Put them under `default_body_model_dir()` (``checkpoints/body_models/smpl/`` and ``.../smplx/``, or the
folder named by ``POSEGPT_BODY_MODELS``); `find_smpl_files` knows the usual layouts and names.

Loading without chumpy: the official SMPL ``.pkl`` files are Python-2 pickles in which some arrays are
``chumpy.ch.Ch`` objects, and chumpy no longer installs on current Python. `load_smpl_pickle` reads
them with a restricted unpickler: chumpy objects become a stand-in holding their ``x`` array, sparse
matrices are rebuilt from their index arrays, numpy arrays load as usual, and every other global a
pickle names (``os.system``, ...) is refused before anything runs. That reader is the only place the
project unpickles, and only for these user-supplied model files. SMPL-X ``.npz`` files are read with
``allow_pickle=False`` (their pickled ``joint2num``/``part2num`` entries are never touched).

SMPL runs through ``smplx.SMPL`` built from the loaded arrays (``data_struct=``). ``smplx.SMPLX`` can
only read its file itself (with ``allow_pickle=True``), so SMPL-X runs through smplx's own skinning
function ``smplx.lbs.lbs`` on the arrays we loaded safely. For SMPL-X:

* ``body_pose[:63]`` drives SMPL-X's 21 body joints (the same joints, in the same order, as SMPL's
  1–21); jaw, eyes and expression stay at zero, and the hands are flat (SMPL's hands are flat too).
* SMPL's hand joints 22/23 have no SMPL-X counterpart. Their rotations (``body_pose[63:69]``) are
  given to the four finger bases of each hand (index1, middle1, ring1, pinky1, not the thumb), which
  bends the fingers at the knuckles as SMPL's hand joint does — the same mapping the Anny body uses.
* Output joints 0–21 are SMPL-X's joints 0–21; joints 22/23 ("left_hand"/"right_hand") are the mean
  of those four finger bases of the left/right hand, which is where SMPL's hand joint sits.
* ``betas`` are read in the loaded model's own shape space (SMPL and SMPL-X betas differ).

Outputs follow `posegpt.body.base`: root-centred (pelvis at the origin), SMPL's frame, metres.
"""

from __future__ import annotations

import io
import os
import pickle
import re
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import torch

from posegpt.body.base import BodyModelError, BodyOutput
from posegpt.pose import NUM_JOINTS, SMPL_PARENTS, Pose

#: Environment variable naming the folder that holds ``smpl/`` and ``smplx/``.
BODY_MODELS_ENV = "POSEGPT_BODY_MODELS"
MODEL_TYPES = ("smpl", "smplx")
GENDERS = ("neutral", "male", "female")

SMPL_URL = "https://smpl.is.tue.mpg.de"
SMPLX_URL = "https://smpl-x.is.tue.mpg.de"

NUM_BETAS = 10  # betas a Pose carries
SMPLX_NUM_JOINTS = 55  # pelvis + 21 body + jaw + 2 eyes + 2 × 15 finger joints
SMPLX_BODY_JOINTS = 22  # SMPL-X joints 0..21 are SMPL joints 0..21
#: SMPL-X finger bases (index1, middle1, pinky1, ring1) of the left and right hand.
SMPLX_LEFT_FINGER_BASES = (25, 28, 31, 34)
SMPLX_RIGHT_FINGER_BASES = (40, 43, 46, 49)


class BodyModelFilesMissing(BodyModelError, FileNotFoundError):
    """The SMPL/SMPL-X files are not where we looked; the message says what to download and where."""


# ---------------------------------------------------------------------------------------------
# Finding the files
# ---------------------------------------------------------------------------------------------


def default_body_model_dir() -> Path:
    """``$POSEGPT_BODY_MODELS`` if set, else ``checkpoints/body_models`` in the repository root."""
    configured = os.environ.get(BODY_MODELS_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(__file__).resolve().parents[2] / "checkpoints" / "body_models"


def _check_choice(model_type: str, gender: str) -> tuple[str, str]:
    model_type, gender = model_type.lower(), gender.lower()
    if model_type not in MODEL_TYPES:
        choices = ", ".join(MODEL_TYPES)
        raise BodyModelError(f"unknown SMPL model type {model_type!r}; choose one of {choices}")
    gender = {"m": "male", "f": "female"}.get(gender, gender)
    if gender not in GENDERS:
        raise BodyModelError(f"unknown SMPL gender {gender!r}; choose one of {', '.join(GENDERS)}")
    return model_type, gender


def _name_patterns(model_type: str, gender: str) -> list[re.Pattern[str]]:
    """File names to accept, best first (matched case-insensitively)."""
    if model_type == "smplx":
        return [
            re.compile(rf"smplx_{gender}\.npz", re.I),
            re.compile(rf"smplx_{gender}_\d+\.npz", re.I),  # e.g. SMPLX_NEUTRAL_2020.npz
            re.compile(rf"smplx_{gender}(_\d+)?\.pkl", re.I),
        ]
    short = {"neutral": "neutral", "male": "m", "female": "f"}[gender]
    return [
        re.compile(rf"smpl_{gender}\.pkl", re.I),
        re.compile(rf"smpl_{gender}\.npz", re.I),
        # The official downloads: basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl (v1.1, "SMPL for
        # Python"), basicModel_neutral_lbs_10_207_0_v1.0.0.pkl (v1.0 / SMPLify), _m_ and _f_ variants.
        re.compile(rf"basicmodel_({short}|{gender})_lbs_\d+_207_0_v1\.\d+\.\d+\.pkl", re.I),
    ]


def _search_dirs(model_dir: Path, model_type: str) -> list[Path]:
    if model_type == "smplx":
        return [model_dir / "smplx", model_dir, model_dir / "models" / "smplx"]
    return [
        model_dir / "smpl",
        model_dir,
        model_dir / "smpl" / "models",
        model_dir / "models",
        model_dir / "SMPL_python_v.1.1.0" / "smpl" / "models",
        model_dir / "smpl" / "SMPL_python_v.1.1.0" / "smpl" / "models",
    ]


def find_smpl_files(
    model_dir: str | Path | None = None, model_type: str = "smpl", gender: str = "neutral"
) -> Path | None:
    """The model file for ``model_type``/``gender`` under ``model_dir``, or None if there is none.

    Looks in ``model_dir/smpl/`` (``smplx/`` for SMPL-X), ``model_dir/`` and the folders the official
    zips unpack to, for ``SMPL_NEUTRAL.pkl``/``.npz``, the official ``basicmodel_neutral_lbs_10_207_0_
    v1.1.0.pkl`` / ``basicModel_neutral_lbs_10_207_0_v1.0.0.pkl`` names (``_m_``/``_f_`` for male and
    female), or ``SMPLX_NEUTRAL.npz`` (``SMPLX_MALE.npz`` ...). ``model_dir`` may also be the file itself.
    Default folder: `default_body_model_dir()`.
    """
    model_type, gender = _check_choice(model_type, gender)
    model_dir = Path(model_dir).expanduser() if model_dir is not None else default_body_model_dir()
    if model_dir.is_file():
        return model_dir
    patterns = _name_patterns(model_type, gender)
    for folder in _search_dirs(model_dir, model_type):
        try:
            files = sorted(entry for entry in folder.iterdir() if entry.is_file())
        except OSError:  # missing folder, not a folder, no permission
            continue
        for pattern in patterns:
            for entry in files:
                if pattern.fullmatch(entry.name):
                    return entry
    return None


def smpl_available(
    model_dir: str | Path | None = None, model_type: str = "smpl", gender: str = "neutral"
) -> bool:
    """Whether `find_smpl_files` finds a model file (it does not check that the file is valid)."""
    return find_smpl_files(model_dir, model_type, gender) is not None


def _download_hint(model_type: str, gender: str, model_dir: Path) -> str:
    """The shared second half of every error message: what to get, from where, where to put it."""
    if model_type == "smplx":
        name = f"SMPLX_{gender.upper()}.npz"
        return (
            f"download SMPL-X (the .npz model files) from {SMPLX_URL}, "
            f"put {name} in {model_dir / 'smplx'}/ "
            f"(or set {BODY_MODELS_ENV}), or use the built-in body with --body anny"
        )
    return (
        f"download SMPL (the 'SMPL for Python' {gender} model) from {SMPL_URL}, "
        f"put SMPL_{gender.upper()}.pkl in {model_dir / 'smpl'}/ (or set {BODY_MODELS_ENV}), "
        "or use the built-in body with --body anny"
    )


def _label(model_type: str) -> str:
    return "SMPL-X" if model_type == "smplx" else "SMPL"


# ---------------------------------------------------------------------------------------------
# Reading the files without chumpy and without arbitrary unpickling
# ---------------------------------------------------------------------------------------------


class _ChumpyStandIn:
    """Takes the place of any ``chumpy`` class: keeps the pickled state, exposes its ``x`` array.

    chumpy's ``Ch.__getstate__`` pickles ``self.__dict__`` minus ``_parents``/``_cache``; for a plain
    ``Ch`` (how SMPL stores ``shapedirs`` and friends) the value lives under ``'x'``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # called only by copyreg._reconstructor paths
        self.state: dict[str, Any] = {}

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (dict, slots) form
            state = {**(state[0] or {}), **(state[1] or {})}
        self.state = state if isinstance(state, dict) else {}

    def to_numpy(self) -> np.ndarray:
        state = getattr(self, "state", None) or {}  # NEWOBJ builds without __init__
        if "x" not in state:
            raise ValueError(
                f"it holds a chumpy expression ({type(self).__name__}) rather than a plain array, "
                "which cannot be read without chumpy"
            )
        return np.asarray(_to_numpy(state["x"]))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self.to_numpy()
        return array if dtype is None else array.astype(dtype)


class _SparseStandIn:
    """Takes the place of a ``scipy.sparse`` matrix class; rebuilt densely from its index arrays.

    Avoids relying on scipy's pickled-state compatibility across versions (SMPL files are from
    scipy 0.x): csc/csr keep ``data``/``indices``/``indptr``, coo keeps ``data``/``row``/``col``.
    """

    sparse_format = "csc"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.state: dict[str, Any] = {}

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:
            state = {**(state[0] or {}), **(state[1] or {})}
        self.state = state if isinstance(state, dict) else {}

    def to_numpy(self) -> np.ndarray:
        import scipy.sparse

        state = getattr(self, "state", None) or {}
        shape = state.get("_shape", state.get("shape"))
        if shape is None:
            raise ValueError(f"a pickled sparse {self.sparse_format} matrix has no shape")
        shape = tuple(int(size) for size in shape)
        data = np.asarray(state["data"])
        if self.sparse_format == "coo":
            rows, cols = np.asarray(state["row"]), np.asarray(state["col"])
            matrix = scipy.sparse.coo_matrix((data, (rows, cols)), shape=shape)
        else:
            build = scipy.sparse.csc_matrix if self.sparse_format == "csc" else scipy.sparse.csr_matrix
            matrix = build((data, np.asarray(state["indices"]), np.asarray(state["indptr"])), shape=shape)
        return matrix.toarray()


_SPARSE_STAND_INS = {
    fmt: type(f"_Sparse_{fmt}", (_SparseStandIn,), {"sparse_format": fmt}) for fmt in ("csc", "csr", "coo")
}


def _numpy_globals() -> dict[tuple[str, str], Any]:
    """The numpy globals an array pickle names, under numpy 1.x (``numpy.core``) and 2.x (``numpy._core``)."""
    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]  # numpy's _reconstruct, wherever it lives
    scalar = np.float64(0).__reduce__()[0]
    found: dict[tuple[str, str], Any] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        found[(module, "_reconstruct")] = reconstruct
        found[(module, "scalar")] = scalar
    return found


def _plumbing_globals() -> dict[tuple[str, str], Any]:
    """Harmless helpers that Python-2/protocol-2 pickles of the allowed classes refer to."""
    import _codecs
    import copyreg

    found: dict[tuple[str, str], Any] = {}
    for module in ("copy_reg", "copyreg"):
        found[(module, "_reconstructor")] = copyreg._reconstructor  # builds only allowed classes
    for module in ("__builtin__", "builtins"):
        found[(module, "set")] = set
        found[(module, "frozenset")] = frozenset
        found[(module, "object")] = object
    found[("_codecs", "encode")] = _codecs.encode  # how Python 3 writes bytes at protocol 2
    return found


class _SMPLUnpickler(pickle.Unpickler):
    """Unpickles an official SMPL file and nothing else: every global is checked against a list."""

    _allowed: dict[tuple[str, str], Any] | None = None

    def find_class(self, module: str, name: str) -> Any:
        if module == "chumpy" or module.startswith("chumpy."):
            return _ChumpyStandIn
        if module == "scipy.sparse" or module.startswith("scipy.sparse."):
            fmt = name.split("_")[0]
            if name in (f"{fmt}_matrix", f"{fmt}_array") and fmt in _SPARSE_STAND_INS:
                return _SPARSE_STAND_INS[fmt]
        if _SMPLUnpickler._allowed is None:
            _SMPLUnpickler._allowed = {**_numpy_globals(), **_plumbing_globals()}
        allowed = _SMPLUnpickler._allowed.get((module, name))
        if allowed is not None:
            return allowed
        raise pickle.UnpicklingError(
            f"it refers to {module}.{name}, which an SMPL model file never contains "
            "(only numpy arrays, scipy sparse matrices and chumpy arrays are allowed)"
        )


def _to_numpy(value: Any) -> Any:
    """A loaded entry as plain numpy (stand-ins converted); anything else is returned unchanged."""
    if isinstance(value, (_ChumpyStandIn, _SparseStandIn)):
        return value.to_numpy()
    return value


def load_smpl_pickle(path: str | Path, *, kind: str = "SMPL") -> dict[str, Any]:
    """Read an SMPL ``.pkl`` (Python-2 pickle, chumpy inside) safely, without chumpy.

    Returns the file's dict with chumpy arrays and sparse matrices turned into dense numpy arrays.
    Raises `BodyModelError` (message names the file and the problem) if the file is not a readable
    dict pickle or refers to anything but numpy/scipy.sparse/chumpy classes; a refused class is
    never imported or called.
    """
    path = Path(path)
    unusable = f"{path} is not a usable {kind} model file"
    try:
        with path.open("rb") as handle:
            content = _SMPLUnpickler(handle, encoding="latin1").load()
    except FileNotFoundError:
        raise
    except pickle.UnpicklingError as error:
        raise BodyModelError(f"{unusable}: {error}") from None
    except Exception as error:  # truncated / garbage: EOFError, ValueError, KeyError, ... from pickle
        raise BodyModelError(
            f"{unusable}: it cannot be read as a pickle "
            f"({type(error).__name__}: {error})"
        ) from None
    if not isinstance(content, dict):
        raise BodyModelError(f"{unusable}: it holds a {type(content).__name__}, not a dict")
    converted: dict[str, Any] = {}
    for key, value in content.items():
        try:
            converted[str(key)] = _to_numpy(value)
        except Exception as error:  # a stand-in that cannot become an array
            raise BodyModelError(f"{unusable}: entry {key!r}: {error}") from None
    return converted


def _load_npz(path: Path, kind: str) -> dict[str, Any]:
    """The non-pickled arrays of an ``.npz`` (object arrays, which need pickle, are skipped)."""
    arrays: dict[str, Any] = {}
    try:
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                try:
                    arrays[key] = data[key]
                except ValueError:  # "Object arrays cannot be loaded when allow_pickle=False"
                    continue
    except FileNotFoundError:
        raise
    except Exception as error:  # BadZipFile, OSError, ValueError, EOFError ...
        raise BodyModelError(
            f"{path} is not a usable {kind} model file: it cannot be read as an .npz archive "
            f"({type(error).__name__}: {error})"
        ) from None
    return arrays


_REQUIRED_KEYS = ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table", "f")


def _model_arrays(raw: dict[str, Any], model_type: str) -> dict[str, np.ndarray]:
    """Validate the arrays smplx needs and return them as float32 / int64. Raises ValueError."""
    missing = [key for key in _REQUIRED_KEYS if key not in raw]
    if missing:
        raise ValueError(f"it lacks {', '.join(missing)} (found: {', '.join(sorted(raw)) or 'nothing'})")

    def numeric(key: str, dtype: type) -> np.ndarray:
        try:
            array = np.asarray(raw[key])
            if array.dtype == object or not np.issubdtype(array.dtype, np.number):
                raise TypeError(f"dtype {array.dtype}")
            return np.ascontiguousarray(array.astype(dtype))
        except (TypeError, ValueError) as error:
            raise ValueError(f"{key} is not a numeric array ({error})") from None

    v_template = numeric("v_template", np.float32)
    shapedirs = numeric("shapedirs", np.float32)
    posedirs = numeric("posedirs", np.float32)
    j_regressor = numeric("J_regressor", np.float32)
    weights = numeric("weights", np.float32)
    kintree = numeric("kintree_table", np.int64)
    faces = numeric("f", np.int64)
    # The official kintree stores the root's parent as uint32 -1 (4294967295).
    kintree = np.where(kintree >= 2**31, -1, kintree)

    expected_joints = SMPLX_NUM_JOINTS if model_type == "smplx" else NUM_JOINTS
    if v_template.ndim != 2 or v_template.shape[1] != 3 or len(v_template) == 0:
        raise ValueError(f"v_template has shape {v_template.shape}, expected (V, 3)")
    num_vertices = len(v_template)
    if kintree.ndim != 2 or kintree.shape[0] != 2:
        raise ValueError(f"kintree_table has shape {kintree.shape}, expected (2, J)")
    num_joints = kintree.shape[1]
    if num_joints != expected_joints:
        other = {24: "SMPL", 52: "SMPL-H", 55: "SMPL-X", 16: "MANO"}.get(num_joints)
        hint = f" (is this a {other} file?)" if other else ""
        label = _label(model_type)
        raise ValueError(f"it has {num_joints} joints, an {label} model has {expected_joints}{hint}")
    parents = kintree[0].copy()
    parents[0] = -1
    if tuple(parents[:SMPLX_BODY_JOINTS]) != SMPL_PARENTS[:SMPLX_BODY_JOINTS] or (
        model_type == "smpl" and tuple(parents) != SMPL_PARENTS
    ):
        raise ValueError("its kinematic tree is not SMPL's")
    if any(not 0 <= parents[j] < j for j in range(1, num_joints)):
        raise ValueError("its kinematic tree has a joint whose parent does not precede it")
    if shapedirs.ndim == 2:
        shapedirs = shapedirs[:, :, None]
    if shapedirs.ndim != 3 or shapedirs.shape[:2] != (num_vertices, 3) or shapedirs.shape[2] == 0:
        raise ValueError(f"shapedirs has shape {shapedirs.shape}, expected ({num_vertices}, 3, betas)")
    pose_basis = 9 * (num_joints - 1)
    if posedirs.shape != (num_vertices, 3, pose_basis):
        raise ValueError(f"posedirs has shape {posedirs.shape}, expected ({num_vertices}, 3, {pose_basis})")
    if j_regressor.shape != (num_joints, num_vertices):
        expected = (num_joints, num_vertices)
        raise ValueError(f"J_regressor has shape {j_regressor.shape}, expected {expected}")
    if weights.shape != (num_vertices, num_joints):
        raise ValueError(f"weights has shape {weights.shape}, expected ({num_vertices}, {num_joints})")
    if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise ValueError(f"f (the faces) has shape {faces.shape}, expected (F, 3)")
    if faces.min() < 0 or faces.max() >= num_vertices:
        raise ValueError(f"f (the faces) indexes vertices outside 0..{num_vertices - 1}")
    for key, array in (("v_template", v_template), ("shapedirs", shapedirs), ("posedirs", posedirs),
                       ("J_regressor", j_regressor), ("weights", weights)):
        if not np.isfinite(array).all():
            raise ValueError(f"{key} contains NaN or infinite values")
    return {
        "v_template": v_template,
        "shapedirs": shapedirs,
        "posedirs": posedirs,
        "J_regressor": j_regressor,
        "weights": weights,
        "kintree_table": np.stack([parents, np.arange(num_joints)]),
        "f": faces,
    }


def load_model_arrays(path: str | Path, model_type: str = "smpl") -> dict[str, np.ndarray]:
    """The validated arrays of one SMPL (``.pkl``/``.npz``) or SMPL-X (``.npz``/``.pkl``) model file.

    Keys: ``v_template`` (V,3), ``shapedirs`` (V,3,B), ``posedirs`` (V,3,9(J-1)), ``J_regressor`` (J,V)
    dense, ``weights`` (V,J) — all float32 — and ``kintree_table`` (2,J) with parent -1 for the root and
    ``f`` (F,3), int64. Raises `BodyModelError` naming the file and what is wrong with it.
    """
    path = Path(path)
    model_type = model_type.lower()
    kind = _label(model_type)
    raw = _load_npz(path, kind) if path.suffix.lower() == ".npz" else load_smpl_pickle(path, kind=kind)
    try:
        return _model_arrays(raw, model_type)
    except ValueError as error:
        raise BodyModelError(f"{path} is not a usable {kind} model file: {error}") from None


# ---------------------------------------------------------------------------------------------
# The body model
# ---------------------------------------------------------------------------------------------


class SMPLBody:
    """SMPL (``model_type="smpl"``) or SMPL-X (``"smplx"``) through smplx, behind the `BodyModel` protocol.

    ``model_dir`` is the folder `find_smpl_files` searches (default `default_body_model_dir()`), or the
    model file itself. Raises `BodyModelFilesMissing` when no file is found and `BodyModelError` when
    the file found cannot be used; both messages say what to download from where.
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        model_type: str = "smpl",
        gender: str = "neutral",
        device: str | torch.device = "cpu",
    ) -> None:
        model_type, gender = _check_choice(model_type, gender)
        folder = Path(model_dir).expanduser() if model_dir is not None else default_body_model_dir()
        path = find_smpl_files(folder, model_type, gender)
        if path is None:
            hint = _download_hint(model_type, gender, folder)
            raise BodyModelFilesMissing(f"{_label(model_type)} body model not found in {folder}: {hint}.")
        hint = _download_hint(model_type, gender, folder.parent if folder.is_file() else folder)
        try:
            arrays = load_model_arrays(path, model_type)
        except BodyModelError as error:
            raise BodyModelError(f"{error}; {hint}.") from None
        except OSError as error:
            raise BodyModelError(f"{path} cannot be read ({error}); {hint}.") from None

        self.name = model_type
        self.model_type = model_type
        self.gender = gender
        self.model_path = path
        self.device = torch.device(device)
        self._faces = arrays["f"]
        self._num_vertices = int(len(arrays["v_template"]))
        self.num_betas = min(NUM_BETAS, arrays["shapedirs"].shape[2])
        try:
            if model_type == "smpl":
                self._smpl = self._build_smpl(arrays, path).to(self.device)
            else:
                self._tensors = self._smplx_tensors(arrays)
        except Exception as error:  # validated above, so unexpected: still name the file
            raise BodyModelError(
                f"{path} could not be turned into an {_label(model_type)} model "
                f"({type(error).__name__}: {error}); {hint}."
            ) from error

    def _build_smpl(self, arrays: dict[str, np.ndarray], path: Path) -> torch.nn.Module:
        import smplx
        from smplx.utils import Struct
        from smplx.vertex_ids import vertex_ids

        # smplx appends extra joints picked from fixed vertex ids of the official mesh; we keep only the
        # first 24, so on a mesh too small for those ids (tests) any valid index will do.
        ids = vertex_ids["smplh"]
        if max(ids.values()) >= len(arrays["v_template"]):
            ids = {key: 0 for key in ids}
        with redirect_stdout(io.StringIO()):  # smplx prints a warning about having only 10 betas
            model = smplx.SMPL(
                model_path=str(path),
                data_struct=Struct(**arrays),
                num_betas=self.num_betas,
                vertex_ids=ids,
                create_betas=False,
                create_global_orient=False,
                create_body_pose=False,
                create_transl=False,
            )
        return model.eval()

    def _smplx_tensors(self, arrays: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
        num_pose_basis = arrays["posedirs"].shape[-1]
        tensors = {
            "v_template": arrays["v_template"],
            "shapedirs": arrays["shapedirs"][:, :, : self.num_betas],
            "posedirs": arrays["posedirs"].reshape(-1, num_pose_basis).T,  # (P, V*3), as smplx stores it
            "J_regressor": arrays["J_regressor"],
            "weights": arrays["weights"],
        }
        out = {key: torch.from_numpy(np.ascontiguousarray(v)).to(self.device) for key, v in tensors.items()}
        out["parents"] = torch.from_numpy(arrays["kintree_table"][0].copy()).to(self.device)
        return out

    @property
    def faces(self) -> np.ndarray:
        """(F, 3) int64 triangle indices."""
        return self._faces

    @property
    def num_vertices(self) -> int:
        return self._num_vertices

    def __repr__(self) -> str:
        file = str(self.model_path)
        return f"SMPLBody(model_type={self.model_type!r}, gender={self.gender!r}, file={file!r})"

    @torch.no_grad()
    def __call__(self, pose: Pose) -> BodyOutput:
        """Posed meshes (N, V, 3) and the 24 SMPL joints (N, 24, 3), pelvis at the origin."""
        n = len(pose)
        if n == 0:
            empty = torch.zeros((0, self._num_vertices, 3), device=self.device)
            return BodyOutput(empty, torch.zeros((0, NUM_JOINTS, 3), device=self.device), self._faces)
        axis_angle = pose.axis_angle().to(self.device)  # (N, 24, 3)
        betas = torch.zeros((n, self.num_betas), device=self.device)
        if pose.betas is not None:
            betas = torch.from_numpy(pose.betas[:, : self.num_betas]).to(self.device)
        if self.model_type == "smpl":
            output = self._smpl(
                betas=betas,
                global_orient=axis_angle[:, 0],
                body_pose=axis_angle[:, 1:].reshape(n, -1),
            )
            vertices, joints = output.vertices, output.joints[:, :NUM_JOINTS]
        else:
            vertices, joints = self._smplx_forward(axis_angle, betas)
        root = joints[:, :1]  # the pelvis
        return BodyOutput(
            vertices=(vertices - root).float().contiguous(),
            joints=(joints - root).float().contiguous(),
            faces=self._faces,
        )

    def _smplx_forward(
        self, axis_angle: torch.Tensor, betas: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        from smplx.lbs import lbs

        n = axis_angle.shape[0]
        full_pose = axis_angle.new_zeros((n, SMPLX_NUM_JOINTS, 3))  # jaw, eyes, flat hands: zero
        full_pose[:, :SMPLX_BODY_JOINTS] = axis_angle[:, :SMPLX_BODY_JOINTS]
        full_pose[:, list(SMPLX_LEFT_FINGER_BASES)] = axis_angle[:, 22:23]  # SMPL's left_hand joint
        full_pose[:, list(SMPLX_RIGHT_FINGER_BASES)] = axis_angle[:, 23:24]  # SMPL's right_hand joint
        t = self._tensors
        vertices, joints = lbs(
            betas, full_pose.reshape(n, -1), t["v_template"], t["shapedirs"], t["posedirs"],
            t["J_regressor"], t["parents"], t["weights"],
        )  # (N, V, 3), (N, 55, 3)
        hands = torch.stack(
            [
                joints[:, list(SMPLX_LEFT_FINGER_BASES)].mean(dim=1),
                joints[:, list(SMPLX_RIGHT_FINGER_BASES)].mean(dim=1),
            ],
            dim=1,
        )  # (N, 2, 3)
        return vertices, torch.cat([joints[:, :SMPLX_BODY_JOINTS], hands], dim=1)
