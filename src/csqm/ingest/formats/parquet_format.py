"""Parquet files, streamed by record batch; values keep their native types.

Text columns become object columns (``str`` or None, like the text formats); integer and boolean
columns become pandas nullable dtypes (``Int64``, ``boolean``...) so that a null does not turn ids
into floats; everything else is what ``pyarrow`` converts it to. Row numbers are 1-based positions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from csqm.errors import IngestError
from csqm.ingest.formats.base import Chunk, RowProblem, check_header
from csqm.ingest.formats.tables import Numbered, rebatch, to_chunk


class ParquetBackend:
    """Streams a Parquet file as chunks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            names = pq.read_schema(path).names
        except (pa.ArrowException, OSError):
            raise IngestError(f"{path} cannot be read as a Parquet file: it is damaged or incomplete.") from None
        if not names:
            raise IngestError(f"{path} has no columns.")
        self.columns = check_header(path, names, "schema")

    def _batches(self, rows: int) -> Iterator[Numbered]:
        start = 1
        try:
            with pq.ParquetFile(self.path) as parquet:
                for batch in parquet.iter_batches(batch_size=rows):
                    renamed = pa.RecordBatch.from_arrays(batch.columns, names=self.columns)
                    yield renamed, np.arange(start, start + batch.num_rows, dtype=np.int64)
                    start += batch.num_rows
        except (pa.ArrowException, OSError):
            raise IngestError(
                f"{self.path} cannot be read to the end as Parquet after row {start - 1}: it is damaged."
            ) from None

    def iter_chunks(self, rows: int, problems: list[RowProblem]) -> Iterator[Chunk]:
        """Chunks of exactly ``rows`` rows (the last may be shorter)."""
        for table, numbers in rebatch(self._batches(rows), rows):
            yield to_chunk(table, numbers)
