"""posegpt.photo: the one function that turns files, uploads, PIL images and arrays into a Photo."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from posegpt.photo import MAX_PHOTO_SIDE, Photo, PhotoError, read_photo


def colours(height: int = 20, width: int = 30) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)


def save(image: Image.Image, path, **options):
    image.save(path, **options)
    return path


# --- files of every mode -------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "converted"), [
    ("RGB", None), ("RGBA", "alpha over white"), ("L", "grey → RGB"), ("P", "palette → RGB"),
    ("LA", "alpha over white"), ("CMYK", "CMYK → RGB"), ("1", "black and white → RGB"),
    ("I;16", "16-bit grey → 8-bit RGB"), ("I", "I (32-bit) stretched to 8-bit RGB"),
])
def test_files_of_any_mode_become_rgb_and_say_what_was_done(tmp_path, mode, converted):
    source = Image.fromarray(colours())
    image = {"I;16": Image.fromarray(np.arange(600, dtype=np.uint16).reshape(20, 30) * 100),
             "I": Image.fromarray(np.arange(600, dtype=np.int32).reshape(20, 30) * 1000)}.get(mode) or source.convert(mode)
    path = save(image, tmp_path / f"photo.{'tiff' if mode in ('I;16', 'I', 'CMYK') else 'png'}")
    photo = read_photo(path)
    assert photo.rgb.shape == (20, 30, 3) and photo.rgb.dtype == np.uint8 and photo.size == (30, 20)
    assert photo.mode == mode and photo.converted == converted and photo.name == path.name
    assert photo.orientation == 1 and photo.scale == 1.0 and not photo.rgb.flags.writeable
    if mode == "RGB":
        assert np.array_equal(photo.rgb, colours())
    if mode == "I;16":  # full 16-bit range → 8 bits, not stretched
        assert photo.rgb[0, 0, 0] == 0 and photo.rgb[-1, -1, 0] == round(59900 / 257)


def test_transparent_pixels_become_white(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:, :5, 3] = 255  # left half opaque red, right half transparent
    photo = read_photo(save(Image.fromarray(rgba), tmp_path / "a.png"))
    assert photo.rgb[0, 0].tolist() == [200, 0, 0] and photo.rgb[0, 9].tolist() == [255, 255, 255]
    palette = Image.fromarray(rgba).convert("P")  # a palette with a transparent entry
    assert read_photo(palette).rgb.shape == (10, 10, 3)


def test_exif_rotation_is_applied(tmp_path):
    upright = np.zeros((40, 20, 3), np.uint8)  # tall: a person standing
    upright[:10] = 255  # white head at the top
    lying = Image.fromarray(np.rot90(upright, k=1).copy())  # as the camera stored it: 20 × 40, head on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = save(lying, tmp_path / "phone.jpg", exif=exif, quality=95)
    photo = read_photo(path)
    assert photo.orientation == 6 and photo.size == (20, 40) and photo.original_size == (20, 40)
    assert photo.rgb[:8].mean() > 200 and photo.rgb[12:].mean() < 30  # the head is at the top again


def test_large_photos_are_scaled_down_and_say_by_how_much(tmp_path):
    path = save(Image.new("RGB", (4000, 1000), (10, 200, 30)), tmp_path / "big.png")
    photo = read_photo(path, max_side=1024)
    assert photo.size == (1024, 256) and photo.original_size == (4000, 1000) and photo.scale == 1024 / 4000
    assert "scaled to 1024×256" in photo.describe()
    assert read_photo(path).size == (MAX_PHOTO_SIDE, 512)  # the default long side
    assert read_photo(path, max_side=None).size == (4000, 1000)
    again = read_photo(photo, max_side=512)  # a Photo scaled again keeps its origin
    assert again.size == (512, 128) and again.original_size == (4000, 1000) and again.mode == "RGB"
    assert read_photo(photo) is photo  # a Photo that fits is not copied or decoded again
    with pytest.raises(ValueError, match="max_side"):
        read_photo(photo, max_side=8)


def test_more_than_100_megapixels_is_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # PIL's own bomb check would stop it first
    path = tmp_path / "huge.png"
    Image.new("1", (10_001, 10_000)).save(path)  # 1-bit: a small file, 100 megapixels and more
    with pytest.raises(PhotoError, match="10001×10000 pixels, too large to open safely; please upload one under 100"):
        read_photo(path)


@pytest.mark.parametrize(("content", "message"), [
    (b"this is not an image", "is not an image I can read"),
    (b"", "is not an image I can read"),
    (b"\x89PNG\r\n\x1a\n broken", "is not an image I can read"),
])
def test_what_is_not_an_image_file_is_refused_with_a_sentence(tmp_path, content, message):
    path = tmp_path / "upload.png"
    path.write_bytes(content)
    with pytest.raises(PhotoError, match=message):
        read_photo(path)
    with pytest.raises(PhotoError, match=message):
        read_photo(content)  # the same bytes, uploaded


def test_a_truncated_file_says_it_may_be_damaged(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(colours(200, 200)).save(buffer, format="PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buffer.getvalue()[:300])
    with pytest.raises(PhotoError, match="cut.png could not be read as an image .*it may be damaged"):
        read_photo(path)
    with pytest.raises(PhotoError, match="damaged or incomplete"):
        read_photo(Image.open(io.BytesIO(buffer.getvalue()[:300])))  # a lazily opened PIL image
    with pytest.raises(PhotoError, match="does not exist"):
        read_photo(tmp_path / "nowhere.png")


def test_bytes_and_pil_images():
    buffer = io.BytesIO()
    Image.fromarray(colours()).save(buffer, format="PNG")
    assert np.array_equal(read_photo(buffer.getvalue()).rgb, colours())
    photo = read_photo(Image.fromarray(colours()).convert("L"))
    assert photo.converted == "grey → RGB" and photo.name == "the image"


# --- arrays of every layout -----------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "converted"), [
    (lambda rgb: rgb, None),
    (lambda rgb: rgb[:, :, 0], "grey → RGB"),
    (lambda rgb: rgb[:, :, :1], "grey → RGB"),
    (lambda rgb: np.dstack([rgb[:, :, 0], np.full(rgb.shape[:2], 255, np.uint8)]), "grey + alpha over white"),
    (lambda rgb: np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]), "alpha over white"),
    (lambda rgb: rgb.astype(np.float32) / 255, "float32 → 8-bit"),
    (lambda rgb: rgb.astype(np.float64), "float64 → 8-bit"),
    (lambda rgb: rgb.astype(np.uint16) * 257, "uint16 → 8-bit"),
    (lambda rgb: rgb[:, :, 0] > 100, "bool → 8-bit, grey → RGB"),
], ids=["rgb", "grey", "grey-1", "grey-alpha", "rgba", "float-01", "float-255", "uint16", "bool"])
def test_arrays_of_any_common_layout(make, converted):
    rgb = colours()
    photo = read_photo(make(rgb))
    assert photo.rgb.shape == (20, 30, 3) and photo.rgb.dtype == np.uint8 and photo.converted == converted
    if converted is None or converted.startswith(("float", "uint16", "alpha")):
        assert np.abs(photo.rgb.astype(int) - rgb).max() <= 1
    assert photo.mode.endswith(")") and photo.name == "the image"


def test_the_callers_array_stays_writable_and_nan_is_black():
    rgb = colours()
    photo = read_photo(rgb)
    assert rgb.flags.writeable and not photo.rgb.flags.writeable and np.shares_memory(rgb, photo.rgb)
    assert read_photo(np.full((4, 4, 3), np.nan)).rgb.max() == 0


@pytest.mark.parametrize(("value", "message"), [
    ("not a file", "does not exist"),
    (np.array("photo"), "numeric pixels"),
    (np.zeros((4, 4, 3), dtype=object), "numeric pixels"),
    (np.ones((4, 4), np.complex64), "numeric pixels"),
    (np.zeros((40, 40, 5), np.uint8), "(H, W, 3)"),
    (np.zeros(5), "(H, W, 3)"),
    (np.zeros((0, 0, 3), np.uint8), "no pixels"),
    ([[1, 2], [3]], "not an image"),
])
def test_what_is_not_an_image_raises_a_clear_error(value, message):
    with pytest.raises(PhotoError) as raised:
        read_photo(value)
    assert message in str(raised.value) and isinstance(raised.value, ValueError)


def test_a_photo_holds_rgb_uint8_only():
    with pytest.raises(TypeError, match="read_photo"):
        Photo(np.zeros((4, 4), np.uint8))
    photo = Photo(np.zeros((4, 6, 3), np.uint8))
    assert photo.size == (6, 4) and photo.original_size == (6, 4) and photo.pil().size == (6, 4)
