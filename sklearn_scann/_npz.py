"""A bounded, pickle-free reader of ``.npz`` archives from untrusted files.

Every member's ``.npy`` header (dtype, shape) is read and checked before any
of its data, the data is read in chunks up to the length the header
declares, and object arrays are never read: a file cannot make the reader
run code or allocate memory for data it does not hold.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import io
import math
import warnings
import zipfile
import zlib
from contextlib import contextmanager
from tokenize import TokenError

import numpy as np
from numpy.lib import format as npy_format

__all__ = ["NpzReader", "open_npz"]

_MAX_ARCHIVE_BYTES = 16 * 2**30  # all members decompressed
_MAX_HEADER_BYTES = 10_000  # numpy's own limit for an .npy header
_READ_CHUNK_BYTES = 2**20
# Errors of zipfile and zlib on a damaged archive.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


class NpzReader:
    """The ``.npy`` members of an archive, each read only once its header passes.

    A member's data is read in chunks up to the length its header declares,
    so that neither a header nor a zip entry's stated size makes ``load``
    allocate memory for data the file does not hold.
    """

    def __init__(self, archive: zipfile.ZipFile):
        self._archive = archive
        self.members = {}
        for info in archive.infolist():
            key = info.filename.removesuffix(".npy")
            if key == info.filename or key in self.members:
                raise ValueError(f"has an unexpected member {info.filename!r}")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ValueError(f"has member {key} compressed with an unknown method")
            if info.flag_bits & 0x1:
                raise ValueError(f"has an encrypted member {key}")
            self.members[key] = info
        if sum(info.file_size for info in self.members.values()) > _MAX_ARCHIVE_BYTES:
            raise ValueError(f"holds more than {_MAX_ARCHIVE_BYTES} bytes")

    @contextmanager
    def _reading(self, key: str):
        try:
            yield
        except _ZIP_ERRORS as exc:
            raise ValueError(
                f"is damaged: member {key} cannot be read ({exc})"
            ) from None

    def read(self, key, kinds, lengths, *, itemsize=None, ndims=(1,)) -> np.ndarray:
        """Member ``key`` if its header shows a dtype of one of the numpy ``kinds``
        (and ``itemsize``), ``ndims`` dimensions and a size in ``lengths``."""
        shape, dtype, data = self._read(key, kinds, lengths, itemsize, ndims)
        return np.frombuffer(data, dtype=dtype).reshape(shape)

    def read_bytes(self, key, max_bytes: int) -> bytearray:
        """Member ``key``, a 1-D uint8 array of at most ``max_bytes``, as bytes."""
        return self._read(key, "u", range(max_bytes + 1), 1, (1,))[2]

    def _read(self, key, kinds, lengths, itemsize, ndims):
        if key not in self.members:
            raise ValueError(f"lacks {key}")
        with self._reading(key), self._archive.open(self.members[key]) as handle:
            shape, dtype = self._read_header(key, handle)
            size = math.prod(shape)
            if (
                dtype.kind not in kinds
                or (itemsize is not None and dtype.itemsize != itemsize)
                or len(shape) not in ndims
                or size not in lengths
            ):
                raise ValueError(
                    f"has an invalid {key}: dtype {dtype}, shape {shape}; expected "
                    f"kind {' or '.join(kinds)}, {' or '.join(map(str, ndims))} "
                    f"dimensions and a size from {lengths.start} to {lengths.stop - 1}"
                )
            data = self._read_data(key, handle, size * dtype.itemsize)
        return shape, dtype, data

    def _read_header(self, key, handle) -> tuple[tuple[int, ...], np.dtype]:
        try:
            version = npy_format.read_magic(handle)
        except ValueError:
            raise ValueError(f"has a member {key} that is not an .npy array") from None
        length_bytes = {(1, 0): 2, (2, 0): 4}.get(version)
        if length_bytes is None:
            raise ValueError(
                f"has a member {key} of unsupported .npy version {version}"
            )
        length_field = handle.read(length_bytes)
        length = int.from_bytes(length_field, "little")
        if len(length_field) != length_bytes or length > _MAX_HEADER_BYTES:
            raise ValueError(f"has a member {key} with a malformed .npy header")
        header = handle.read(length)
        read_header = (
            npy_format.read_array_header_1_0
            if version == (1, 0)
            else npy_format.read_array_header_2_0
        )
        try:
            # numpy warns and repairs a header only Python 2 would write;
            # np.savez never writes one, so it is refused instead.
            with warnings.catch_warnings():
                warnings.simplefilter("error", UserWarning)
                shape, _, dtype = read_header(io.BytesIO(length_field + header))
        except (
            ValueError,
            TypeError,
            SyntaxError,
            RecursionError,
            TokenError,
            UserWarning,
        ):
            raise ValueError(
                f"has a member {key} with a malformed .npy header"
            ) from None
        if dtype.hasobject:
            raise ValueError(
                f"has a member {key} of Python objects, which is never loaded"
            )
        return shape, dtype

    def _read_data(self, key, handle, nbytes: int) -> bytearray:
        data = bytearray()
        while len(data) < nbytes:
            chunk = handle.read(min(_READ_CHUNK_BYTES, nbytes - len(data)))
            if not chunk:
                raise ValueError(f"is truncated: member {key} ends early")
            data += chunk
        # Reading on to the end of the member also checks its CRC.
        if handle.read(1):
            raise ValueError(f"has a member {key} longer than its header says")
        return data


def open_npz(handle) -> zipfile.ZipFile:
    not_model = "is not an sklearn-scann model file"
    if handle.read(len(npy_format.MAGIC_PREFIX)) == npy_format.MAGIC_PREFIX:
        raise ValueError(f"{not_model}: it is a single .npy array, not an .npz")
    handle.seek(0)
    try:
        return zipfile.ZipFile(handle)
    except (*_ZIP_ERRORS, ValueError) as exc:
        raise ValueError(f"{not_model} (not a readable zip archive: {exc})") from None
