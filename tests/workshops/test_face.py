"""The organisation's logo (issue 14): what is accepted is re-encoded as a clean PNG that fits
600×200; what is refused (too heavy, an SVG under any disguise, not an image, a damaged one,
another format, a decompression bomb) says why and changes nothing."""

import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from workshops.face import BOX, organisation_logo_remove, organisation_logo_set
from workshops.models import Organisation

SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)


def image_bytes(
    fmt: str = "PNG",
    size: tuple[int, int] = (900, 300),
    mode: str = "RGBA",
    color: tuple[int, ...] = (11, 92, 173, 160),
    **save: object,
) -> bytes:
    """An image file as a manager would upload it."""
    image = Image.new(mode, size, color[: len(mode)] if mode != "1" else 0)
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def upload(data: bytes, name: str = "logo.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored(organisation: Organisation) -> Image.Image:
    organisation.refresh_from_db()
    return Image.open(io.BytesIO(bytes(organisation.logo)))


def _row(organisation: Organisation) -> tuple:
    organisation.refresh_from_db()
    logo = None if organisation.logo is None else bytes(organisation.logo)
    return (logo, organisation.logo_content_type, organisation.logo_version)


# --- accepted ----------------------------------------------------------------------------------


def test_a_transparent_png_is_kept_as_a_png_with_its_transparency_fitted_in_the_box(
    organisation,
):
    organisation_logo_set(organisation=organisation, upload=upload(image_bytes()))
    image = stored(organisation)
    assert (image.format, image.mode) == ("PNG", "RGBA")
    assert image.size == BOX == (600, 200)
    assert image.getpixel((10, 10))[3] == 160  # half transparent, as uploaded
    assert organisation.logo_content_type == "image/png"
    assert organisation.logo_version == 1


def test_a_jpeg_photo_loses_its_exif_and_gps_and_stands_upright(organisation):
    exif = Image.Exif()
    exif[0x010F] = "CamaraSecretaCorp"  # Make
    exif[0x0112] = 6  # Orientation: the camera was turned, the picture is shown rotated
    exif[0x8825] = {1: "N", 2: (4.0, 36.0, 0.0), 3: "W", 4: (74.0, 4.0, 0.0)}  # GPS
    photo = image_bytes("JPEG", size=(300, 100), mode="RGB", color=(200, 30, 30), exif=exif)
    assert b"CamaraSecretaCorp" in photo
    organisation_logo_set(organisation=organisation, upload=upload(photo, "foto.jpg", "image/jpeg"))
    image = stored(organisation)
    raw = bytes(organisation.logo)
    assert image.format == "PNG" and image.mode == "RGB"
    assert b"CamaraSecretaCorp" not in raw and b"Exif" not in raw and b"eXIf" not in raw
    assert not image.getexif() and "exif" not in image.info
    # Turned upright (300×100 rotated is 100×300), then fitted into 600×200.
    assert image.size == (67, 200)


def test_a_webp_is_accepted_and_re_encoded_as_png(organisation):
    data = image_bytes("WEBP", size=(400, 100), lossless=True)
    organisation_logo_set(organisation=organisation, upload=upload(data, "logo.webp", "image/webp"))
    image = stored(organisation)
    assert image.format == "PNG" and image.size == (400, 100)
    assert image.getpixel((0, 0)) == (11, 92, 173, 160)


def test_a_small_logo_is_not_enlarged(organisation):
    organisation_logo_set(organisation=organisation, upload=upload(image_bytes(size=(120, 40))))
    assert stored(organisation).size == (120, 40)


def test_every_new_logo_gets_a_new_version(organisation):
    organisation_logo_set(organisation=organisation, upload=upload(image_bytes()))
    organisation_logo_set(organisation=organisation, upload=upload(image_bytes(size=(50, 50))))
    organisation.refresh_from_db()
    assert organisation.logo_version == 2
    assert stored(organisation).size == (50, 50)


# --- refused -----------------------------------------------------------------------------------


def _too_heavy() -> bytes:
    """A real PNG of noise that no compression brings under 2 MB."""
    noise = Image.frombytes("RGB", (1000, 800), os.urandom(1000 * 800 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert out.tell() > 2 * 1024 * 1024
    return out.getvalue()


def _truncated_png() -> bytes:
    noisy = Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3))
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    data = out.getvalue()
    return data[: len(data) // 2]


def _truncated_jpeg() -> bytes:
    noisy = Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3))
    out = io.BytesIO()
    noisy.save(out, format="JPEG")
    data = out.getvalue()
    return data[: len(data) // 2]


REFUSED = {
    "too heavy": (lambda: upload(_too_heavy()), "too_heavy", "el máximo es 2 MB"),
    "svg named png": (lambda: upload(SVG), "svg", "SVG"),
    "svg with a byte order mark": (
        lambda: upload(b"\xef\xbb\xbf  \n" + SVG, "logo.webp", "image/webp"),
        "svg",
        "SVG",
    ),
    "svg by its name": (lambda: upload(image_bytes(), "logo.svg"), "svg", "SVG"),
    "svg by its type": (
        lambda: upload(image_bytes(), "logo.png", "image/svg+xml"),
        "svg",
        "SVG",
    ),
    "text renamed png": (
        lambda: upload(b"Este no es un logo, es una nota.\n" * 20),
        "unreadable",
        "PNG, JPG o WebP",
    ),
    "html renamed png": (
        lambda: upload(b"<html><body><script>alert(1)</script></body></html>"),
        "unreadable",
        "PNG, JPG o WebP",
    ),
    "truncated png": (lambda: upload(_truncated_png()), "unreadable", "dañado"),
    "truncated jpeg": (lambda: upload(_truncated_jpeg(), "a.jpg", "image/jpeg"), "unreadable", ""),
    "a gif": (
        lambda: upload(image_bytes("GIF", mode="RGB", color=(1, 2, 3)), "logo.gif", "image/gif"),
        "unreadable",
        "",
    ),
    "bomb beyond pillow's limit": (
        lambda: upload(image_bytes(size=(20_000, 20_000), mode="1")),
        "too_many_pixels",
        "demasiados píxeles",
    ),
    "absurd dimensions": (
        lambda: upload(image_bytes(size=(4001, 10), mode="RGB", color=(0, 0, 0))),
        "too_many_pixels",
        "4001 × 10 píxeles",
    ),
    "empty": (lambda: upload(b""), "empty", "vacío"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_logo_says_why_and_changes_nothing(organisation, case):
    organisation_logo_set(organisation=organisation, upload=upload(image_bytes(size=(60, 20))))
    before = _row(organisation)
    make, code, words = REFUSED[case]
    with pytest.raises(ValidationError) as refused:
        organisation_logo_set(organisation=organisation, upload=make())
    assert refused.value.code == code
    assert words in refused.value.messages[0]
    assert _row(organisation) == before


def test_a_bomb_is_refused_before_its_pixels_are_decoded(organisation, monkeypatch):
    """A small file announcing 40 million pixels: refused from its header alone."""
    data = image_bytes(size=(8000, 5000), mode="1")
    assert len(data) < 2 * 1024 * 1024

    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("the bomb's pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(ValidationError) as refused:
        organisation_logo_set(organisation=organisation, upload=upload(data))
    assert refused.value.code == "too_many_pixels"
    assert "8000 × 5000" in refused.value.messages[0]


def test_the_declared_size_is_not_trusted(organisation):
    """A file whose reported size is small but whose bytes are not."""
    lying = upload(_too_heavy())
    lying.size = 10
    with pytest.raises(ValidationError) as refused:
        organisation_logo_set(organisation=organisation, upload=lying)
    assert refused.value.code == "too_heavy"
    assert _row(organisation) == (None, "", 0)


# --- removed -----------------------------------------------------------------------------------


def test_removing_the_logo_leaves_the_name_and_moves_the_address_on(organisation):
    organisation_logo_set(organisation=organisation, upload=upload(image_bytes()))
    organisation_logo_remove(organisation=organisation)
    assert _row(organisation) == (None, "", 2)
    # Removing nothing changes nothing.
    organisation_logo_remove(organisation=organisation)
    assert _row(organisation) == (None, "", 2)
