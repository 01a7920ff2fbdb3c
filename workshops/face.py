"""The organisation's face (issue 14): its logo and the name the room sees, on the
projector's join screen, the run sheet and the acta.

Every upload is distrusted. A logo is refused when it is too heavy, an SVG (it can carry
scripts and links), not a PNG, JPEG or WebP that Pillow can open and verify, or absurdly
large in pixels (a «decompression bomb»: a few kilobytes that decode to gigabytes). What is
kept is never the upload itself but a new PNG drawn from its pixels: scaled to fit a box,
transparency kept, and no metadata at all (EXIF, GPS, comments, colour profiles).
"""

import io
import warnings
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from workshops.models import Organisation

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# Checked from the header, before a single pixel is decoded (16 megapixels at most).
MAX_SIDE = 4000
# The stored logo fits this box: sharp on a 1920×1080 projector and on paper, small enough
# to travel with the organisation's row.
BOX = (600, 200)
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
SVG_EXTENSIONS = (".svg", ".svgz")
STORED_CONTENT_TYPE = "image/png"


class Upload(Protocol):
    """What the service reads of an uploaded file (Django's UploadedFile has it all)."""

    name: str | None
    size: int | None

    def read(self, size: int = -1) -> bytes: ...


def organisation_logo_set(*, organisation: Organisation, upload: Upload) -> Organisation:
    """Check and re-encode an uploaded logo, then store it and move its address on.

    Raises ValidationError (a message a manager can act on) and changes nothing when the
    file is refused. Returns the organisation as saved."""
    png = logo_png(upload)
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        organisation.logo = png
        organisation.logo_content_type = STORED_CONTENT_TYPE
        organisation.logo_version += 1
        organisation.save(update_fields=["logo", "logo_content_type", "logo_version"])
    return organisation


def organisation_logo_remove(*, organisation: Organisation) -> Organisation:
    """Take the logo away: the room sees the organisation's name in text again."""
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if organisation.logo is None and not organisation.logo_content_type:
            return organisation
        organisation.logo = None
        organisation.logo_content_type = ""
        # A new version: an address of the old logo answers 404 from now on.
        organisation.logo_version += 1
        organisation.save(update_fields=["logo", "logo_content_type", "logo_version"])
    return organisation


def logo_png(upload: Upload) -> bytes:
    """The PNG kept for an uploaded logo; ValidationError when the upload is refused."""
    if _looks_like_svg_by_name(upload):
        raise _svg_refused()
    declared = upload.size
    if declared is not None and declared > MAX_UPLOAD_BYTES:
        raise _too_heavy(declared)
    # Never trust the declared size: read one byte past the limit at most.
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_heavy(len(data))
    if not data:
        raise ValidationError(_("El archivo está vacío. Elige la imagen de tu logo."), code="empty")
    if _looks_like_svg(data):
        raise _svg_refused()
    return _reencoded(data)


def _reencoded(data: bytes) -> bytes:
    unreadable = ValidationError(
        _(
            "No pudimos leer este archivo como una imagen PNG, JPG o WebP (puede estar dañado "
            "o ser de otro tipo). Exporta tu logo de nuevo en uno de esos formatos."
        ),
        code="unreadable",
    )
    # Pillow's decoders answer hostile input with a zoo of exceptions (OSError, SyntaxError,
    # ValueError, struct.error, EOFError...): whatever it raises, the file is refused, never
    # a 500. Its bomb warning becomes an error too, so nothing that big is ever decoded.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
                _check_size(*probe.size)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
                _check_size(*image.size)
                image.load()
                return _as_png(image)
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except Exception:  # noqa: BLE001 -- see above: any decoder failure is a refusal
            raise unreadable from None


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise ValueError("an image without pixels")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise _too_many_pixels(width, height)


def _as_png(image: Image.Image) -> bytes:
    """Upright (a phone photo's EXIF orientation applied), RGB or RGBA, fitted in BOX, and
    copied pixel by pixel into a new image so no metadata of the upload survives."""
    image = ImageOps.exif_transpose(image)
    transparent = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or ("transparency" in image.info)
    image = image.convert("RGBA" if transparent else "RGB")
    image.thumbnail(BOX, Image.Resampling.LANCZOS)
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _looks_like_svg_by_name(upload: Upload) -> bool:
    name = (upload.name or "").lower()
    content_type = (getattr(upload, "content_type", "") or "").lower()
    return name.endswith(SVG_EXTENSIONS) or "svg" in content_type


def _looks_like_svg(data: bytes) -> bool:
    """Markup that names an SVG, whatever the file's name says. (Other markup, HTML say, is
    simply not an image: Pillow refuses it below.)"""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"<svg" in data.lower()


def _svg_refused() -> ValidationError:
    return ValidationError(
        _(
            "No aceptamos logos en SVG: un SVG puede llevar código. Exporta tu logo en PNG, "
            "JPG o WebP y súbelo de nuevo."
        ),
        code="svg",
    )


def _too_heavy(size: int) -> ValidationError:
    return ValidationError(
        _("El archivo pesa %(size)s y el máximo es %(limit)s. Sube una versión más liviana.")
        % {"size": filesizeformat(size), "limit": f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB"},
        code="too_heavy",
    )


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ValidationError:
    if width is None or height is None:
        message = _(
            "La imagen tiene demasiados píxeles para un logo: el máximo es %(side)d píxeles "
            "por lado."
        ) % {"side": MAX_SIDE}
    else:
        message = _(
            "La imagen mide %(width)d × %(height)d píxeles, demasiado para un logo: el "
            "máximo es %(side)d píxeles por lado."
        ) % {"width": width, "height": height, "side": MAX_SIDE}
    return ValidationError(message, code="too_many_pixels")
