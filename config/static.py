"""Static files as collected into STATIC_ROOT: names carrying a hash of their content, each
with a gzip and a brotli copy, served by ServeStatic (SERVE_STATIC=1, the laptop) or nginx
(deploy/nginx.conf.template).

ServeStatic's storage compresses every file again on every `collectstatic`, and brotli at its
best ratio takes seconds over the admin's and htmx's scripts. `make run` and `make test` run
`collectstatic` each time, so a copy that still decodes to the file as it is now is kept.
(Not by modification time: Django saves the scripts and stylesheets it rewrites anew on every
run.)

The project's own stylesheets and scripts (static/) are minified in their hashed copies, the
ones pages link to, before they are compressed: a phone's first visit is lighter (issue 13)
while static/ and the unhashed copies stay as written. ServeStatic's SERVESTATIC_MINIFY would
minify only the gzip and brotli copies, so one URL would answer different bytes by encoding.
Vendored files (htmx, the admin) are left alone: they ship their own minified builds, and rjsmin
reads modern syntax such as class fields wrongly.
"""

import gzip
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import brotli
import rcssmin
import rjsmin
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from servestatic.compress import Compressor
from servestatic.storage import CompressedManifestStaticFilesStorage

DECODERS: dict[str, Callable[[bytes], bytes]] = {".br": brotli.decompress, ".gz": gzip.decompress}


class KeepingCompressor(Compressor):
    def compress(self, path: str | os.PathLike[str]) -> list[str]:
        path = os.fspath(path)
        made = {suffix: path + suffix for suffix in DECODERS if os.path.exists(path + suffix)}
        if made:
            with open(path, "rb") as file:
                data = file.read()
            if all(_decoded(copy, DECODERS[suffix]) == data for suffix, copy in made.items()):
                return list(made.values())
        return super().compress(path)


def _decoded(path: str, decode: Callable[[bytes], bytes]) -> bytes | None:
    with open(path, "rb") as file:
        try:
            return decode(file.read())
        except (OSError, EOFError, brotli.error):
            return None


MINIFIERS: dict[str, Callable[[str], str]] = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}


def minified(name: str, data: bytes) -> bytes:
    """`data` (the file `name`) without comments and spare whitespace; as it was if it is not a
    stylesheet or a script."""
    minify = MINIFIERS.get(os.path.splitext(name)[1])
    return data if minify is None else minify(data.decode("utf-8")).encode("utf-8")


def _is_project_storage(storage: object) -> bool:
    if not isinstance(storage, FileSystemStorage):
        return False
    location = Path(storage.location).resolve()
    return any(
        location == Path(entry[1] if isinstance(entry, tuple) else entry).resolve()
        for entry in settings.STATICFILES_DIRS
    )


class CompressedManifestStorage(CompressedManifestStaticFilesStorage):
    """ServeStatic's storage, minifying the project's own hashed stylesheets and scripts and
    compressing only what changed since the last `collectstatic`."""

    project_names: frozenset[str] = frozenset()

    def post_process(
        self, paths: dict[str, tuple[object, str]], *args: Any, **kwargs: Any
    ) -> Iterator[tuple[str, str | None, bool | Exception]]:
        self.project_names = frozenset(
            name for name, (storage, _path) in paths.items() if _is_project_storage(storage)
        )
        yield from super().post_process(paths, *args, **kwargs)

    def compress_files(self, paths: set[str]) -> Iterator[tuple[str, str]]:
        # Django has written every hashed copy by now; compressing follows.
        for name in self.project_names:
            hashed = self.hashed_files.get(self.hash_key(self.clean_name(name)))
            if hashed and os.path.splitext(hashed)[1] in MINIFIERS:
                path = Path(self.path(hashed))
                data = path.read_bytes()
                smaller = minified(hashed, data)
                if smaller != data:
                    path.write_bytes(smaller)
        yield from super().compress_files(paths)

    def create_compressor(self, **kwargs: object) -> Compressor:
        return KeepingCompressor(**kwargs)
