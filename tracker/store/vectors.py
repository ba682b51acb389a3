"""A cache of section embeddings, keyed by model name and a hash of the section text.

Vectors are opaque bytes here: encoding and decoding them (numpy dtype, shape)
is the matcher's business. Entries are never invalidated, since a changed
text or model gives a different key.
"""

from __future__ import annotations

from tracker.store.schema import Domain, Migration

MIGRATIONS = [
    Migration(
        "vectors.0001_create",
        (
            """CREATE TABLE section_vectors (
                model TEXT NOT NULL,
                text_hash TEXT NOT NULL,
                vector BLOB NOT NULL,
                PRIMARY KEY (model, text_hash)
            )""",
        ),
    )
]


COUNTS = {
    "section_vectors": "SELECT COUNT(*) FROM section_vectors",
}


class Vectors(Domain):
    """Table ``section_vectors``."""

    def section_vector(self, model: str, text_hash: str) -> bytes | None:
        found = self._db.scalar(
            "SELECT vector FROM section_vectors WHERE model = ? AND text_hash = ?",
            (model, text_hash),
        )
        return None if found is None else bytes(found)

    def put_section_vector(self, model: str, text_hash: str, vector: bytes) -> None:
        with self._db.write():
            self._db.run(
                "INSERT OR REPLACE INTO section_vectors (model, text_hash, vector) "
                "VALUES (?, ?, ?)",
                (model, text_hash, vector),
            )
