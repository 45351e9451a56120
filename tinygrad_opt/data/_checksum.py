"""SHA-256 helpers and the error raised when stored or downloaded data does not match its checksum."""
import hashlib


class ChecksumError(ValueError):
    """Data on disk does not match the SHA-256 checksum it is pinned to."""


def sha256_hex(*chunks: bytes) -> str:
    """Hex SHA-256 of the concatenation of `chunks`."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()
