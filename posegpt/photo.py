"""A photo as every part of PoseGPT sees it: decoded, oriented, converted and sized once.

`read_photo` is the one place where an upload, a file, a PIL image or an array becomes pixels:
the app (`demo/chat.py`), the CLI (`batch`, `render --image`), the evaluations and the
benchmarks call it at their edge, and everything after it (`Engine.stream`, the vision module,
`posegpt.artifacts`) takes the `Photo` it returns. A `Photo` holds (H, W, 3) uint8 RGB pixels
and says what was done to reach them: the EXIF orientation applied, how the file's mode became
8-bit RGB, and how much it was scaled down. Input that is not a usable photo raises `PhotoError`
(a `ValueError`) with a sentence for the user; nothing here ends in another exception.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

if TYPE_CHECKING:
    from PIL import Image as PILImage

MAX_PHOTO_SIDE = 2048  # default long side: larger photos are scaled down (the overlay is drawn at this size)
MAX_PHOTO_PIXELS = 100_000_000  # larger files are refused before decoding (decompression bombs)
MIN_MAX_SIDE = 32  # the smallest `max_side` that still leaves room for a person
EXIF_ORIENTATION = 0x0112
ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")

# What `read_photo` takes: a file (path or bytes), a PIL image, an array, or a Photo already made.
PhotoSource = Union["Photo", str, Path, bytes, "PILImage.Image", np.ndarray]


class PhotoError(ValueError):
    """A photo that cannot be used; the message says why, in words a user understands."""


@dataclass(frozen=True, eq=False)
class Photo:
    """(H, W, 3) uint8 RGB pixels (read-only) and how they were made from what was given."""

    rgb: np.ndarray  # (H, W, 3) uint8, C-contiguous, read-only
    name: str = "photo"  # the file's name, or what the pixels came from ("array", "PIL image")
    mode: str = "RGB"  # what was given: the file's PIL mode ("RGBA", "P", "I;16", …) or the array's ("uint16 (H, W)")
    converted: str | None = None  # how it became 8-bit RGB ("alpha over white", "grey → RGB", …); None: it was
    orientation: int = 1  # the EXIF orientation that was applied (1: none, 6: turned 90° clockwise, …)
    original_size: tuple[int, int] = field(default=(0, 0))  # (width, height) as decoded and oriented, before scaling

    def __post_init__(self) -> None:
        rgb = self.rgb
        if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise TypeError(f"Photo.rgb must be an (H, W, 3) uint8 array, got {getattr(rgb, 'dtype', type(rgb))} "
                            f"{getattr(rgb, 'shape', '')}; make photos with read_photo()")
        if 0 in rgb.shape[:2]:
            raise PhotoError(f"{self.name} has no pixels (shape {rgb.shape})")
        view = np.ascontiguousarray(rgb).view()  # a read-only view: the caller's own array stays writable
        view.setflags(write=False)
        object.__setattr__(self, "rgb", view)
        if self.original_size == (0, 0):
            object.__setattr__(self, "original_size", self.size)

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels, as PIL and `SceneReading.image_size` say it."""
        return self.width, self.height

    @property
    def scale(self) -> float:
        """This photo's size ÷ the decoded size (1.0: not scaled down). Pixels here ÷ scale = pixels there."""
        return self.width / self.original_size[0] if self.original_size[0] else 1.0

    def pil(self) -> "PILImage.Image":
        """An RGB PIL image of the pixels (for processors that want PIL)."""
        from PIL import Image

        return Image.fromarray(np.array(self.rgb))

    def save_png(self, path: str | Path) -> Path:
        path = Path(path)
        self.pil().save(path, format="PNG")
        return path

    def describe(self) -> str:
        """One line: what was given and what was done to it."""
        steps = [f"{self.mode} {self.original_size[0]}×{self.original_size[1]}"]
        if self.orientation != 1:
            steps.append(f"EXIF orientation {self.orientation} applied")
        if self.converted:
            steps.append(self.converted)
        if self.size != self.original_size:
            steps.append(f"scaled to {self.width}×{self.height}")
        return f"{self.name}: " + ", ".join(steps)


def read_photo(source: PhotoSource, max_side: int | None = MAX_PHOTO_SIDE, name: str | None = None) -> Photo:
    """Anything that holds a photo → a `Photo`, its long side at most `max_side` (None: any size).

    `source`: a file path or the bytes of a file (refused above `MAX_PHOTO_PIXELS` before
    decoding; any format PIL reads), a PIL image of any mode, an array of any common layout
    ((H, W) grey, (H, W, 1), grey + alpha, RGB, RGBA; uint8, 16-bit and other integers, floats in
    [0, 1] or [0, 255], bool), or a `Photo` (returned as it is when it fits `max_side`).
    Files and PIL images get their EXIF orientation applied; transparent pixels become white;
    16-bit pixels are scaled to 8 bits (32-bit integer and float images: their range stretched
    to 0–255). Raises `PhotoError` saying what is wrong with anything else.
    """
    if max_side is not None and max_side < MIN_MAX_SIDE:
        raise ValueError(f"max_side must be at least {MIN_MAX_SIDE}, got {max_side}")
    if isinstance(source, Photo):
        photo = source
    elif isinstance(source, (str, Path)):
        photo = _from_file(Path(source), name or Path(source).name)
    elif isinstance(source, (bytes, bytearray)):
        photo = _from_file(io.BytesIO(source), name or "the upload")
    elif _is_pil(source):
        photo = _from_pil(source, name or "the image", opened_here=False)
    else:
        photo = _from_array(source, name or "the image")
    return _fit(photo, max_side)


# --- files and PIL images -----------------------------------------------------------------------------


def _is_pil(value: Any) -> bool:
    return hasattr(value, "mode") and hasattr(value, "convert") and hasattr(value, "getexif")


def _from_file(file: Path | io.BytesIO, name: str) -> Photo:
    from PIL import Image, UnidentifiedImageError

    if isinstance(file, Path) and not file.is_file():
        raise PhotoError(f"{name} does not exist or is not a file")
    try:
        with Image.open(file) as image:
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise PhotoError(
                    f"That image is {image.width}×{image.height} pixels, too large to open safely; "
                    "please upload one under 100 megapixels."
                )
            return _from_pil(image, name, opened_here=True)
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise PhotoError(f"{name} is not an image I can read ({error}). Try a JPEG or PNG.") from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise PhotoError(f"{name} could not be read as an image ({error}); it may be damaged.") from None


def _from_pil(image: "PILImage.Image", name: str, opened_here: bool) -> Photo:
    """Orient (EXIF), decode and convert a PIL image. `opened_here`: decoding errors propagate to
    `_from_file`, which words them for a file; otherwise they are worded here."""
    from PIL import ImageOps

    try:
        orientation = int(image.getexif().get(EXIF_ORIENTATION, 1) or 1)
        mode = image.mode
        image = ImageOps.exif_transpose(image)  # phone photos: apply the rotation flag
        image.load()
        rgb, converted = _pil_rgb(image)
    except (OSError, SyntaxError, EOFError) as error:  # PIL decodes lazily: a broken file fails here
        if opened_here:
            raise
        raise PhotoError(f"the image file is damaged or incomplete ({error})") from None
    return Photo(rgb, name, mode, converted, orientation if orientation in range(2, 9) else 1)


def _pil_rgb(image: "PILImage.Image") -> tuple[np.ndarray, str | None]:
    """A decoded PIL image of any mode → (H, W, 3) uint8 and what was done to it."""
    mode = image.mode
    if mode == "RGB":
        return np.asarray(image), None
    if mode in ALPHA_MODES or (mode == "P" and "transparency" in image.info):
        return _over_white(np.asarray(image.convert("RGBA"))), "alpha over white"
    if mode.startswith("I;16"):
        grey = np.asarray(image).astype(np.float64) / 257.0  # 0..65535 → 0..255
        return _grey_to_rgb(np.clip(grey, 0, 255).round().astype(np.uint8)), "16-bit grey → 8-bit RGB"
    if mode in ("I", "F"):  # 32-bit integer or float: stretch to the range present
        values = np.nan_to_num(np.asarray(image, dtype=np.float64))
        low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
        grey = ((values - low) / max(high - low, 1e-12) * 255.0).round().astype(np.uint8)
        return _grey_to_rgb(grey), f"{mode} (32-bit) stretched to 8-bit RGB"
    words = {"L": "grey", "1": "black and white", "P": "palette"}.get(mode, mode)
    return np.asarray(image.convert("RGB")), f"{words} → RGB"


# --- arrays -----------------------------------------------------------------------------------------------


def _from_array(value: Any, name: str) -> Photo:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged nested lists and the like
        raise PhotoError(f"this is not an image ({error})") from None
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating) or array.dtype == bool):
        raise PhotoError(f"an image needs numeric pixels, got {type(value).__name__} of dtype {array.dtype}")
    layout = f"{array.dtype} {_shape_words(array.shape)}"
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)):
        raise PhotoError(f"an image must be (H, W), (H, W, 1), (H, W, 2), (H, W, 3) or (H, W, 4), got {array.shape}")
    if 0 in array.shape[:2]:
        raise PhotoError(f"the image has no pixels (shape {array.shape})")
    steps = []
    if array.dtype != np.uint8:
        array, step = _to_uint8(array)
        steps.append(step)
    if array.ndim == 2:
        array = _grey_to_rgb(array)
        steps.append("grey → RGB")
    elif array.shape[2] == 2:  # grey + alpha
        array = _over_white(np.concatenate([np.repeat(array[:, :, :1], 3, axis=2), array[:, :, 1:]], axis=2))
        steps.append("grey + alpha over white")
    elif array.shape[2] == 4:
        array = _over_white(array)
        steps.append("alpha over white")
    return Photo(np.ascontiguousarray(array), name, layout, ", ".join(steps) or None)


def _shape_words(shape: tuple[int, ...]) -> str:
    return "(H, W" + "".join(f", {size}" for size in shape[2:]) + ")" if len(shape) >= 2 else str(shape)


def _to_uint8(array: np.ndarray) -> tuple[np.ndarray, str]:
    """Pixels of any numeric dtype → uint8: bool × 255; integers above 255 are 16-bit (÷ 257);
    floats up to 1 are [0, 1] (× 255), larger ones [0, 255]; NaN → 0, clipped."""
    if array.dtype == bool:
        return array.astype(np.uint8) * 255, "bool → 8-bit"
    values = np.nan_to_num(array.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
    top = float(values.max()) if values.size else 0.0
    if np.issubdtype(array.dtype, np.integer):
        step = f"{array.dtype} → 8-bit"
        if top > 255:
            values = values / 257.0  # 16-bit pixels → 0..255
    else:
        step = f"{array.dtype} → 8-bit"
        if top <= 1.0:
            values = values * 255.0
    return np.clip(values, 0, 255).round().astype(np.uint8), step


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(grey[:, :, None], 3, axis=2)


def _over_white(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 → (H, W, 3) uint8, composited over white."""
    alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0  # (H, W, 1)
    return (rgba[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)


# --- size -------------------------------------------------------------------------------------------------


def _fit(photo: Photo, max_side: int | None) -> Photo:
    """`photo` with its long side scaled down to `max_side` (LANCZOS), or itself when it fits."""
    if max_side is None or max(photo.size) <= max_side:
        return photo
    from PIL import Image

    factor = max_side / max(photo.size)
    size = (max(1, round(photo.width * factor)), max(1, round(photo.height * factor)))
    rgb = np.asarray(photo.pil().resize(size, Image.Resampling.LANCZOS))
    return Photo(rgb, photo.name, photo.mode, photo.converted, photo.orientation, photo.original_size)
