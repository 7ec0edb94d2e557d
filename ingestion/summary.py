"""The outcome of an ingest job, per file and in total."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

FileStatus = Literal["added", "updated", "unchanged", "deleted", "failed"]


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file."""

    path: str
    status: FileStatus
    chunks: int = 0
    error: str | None = None


@dataclass(frozen=True)
class IngestSummary:
    """What an ingest job did."""

    root: str
    visibility: str
    files: tuple[FileOutcome, ...] = field(default_factory=tuple)
    seconds: float = 0.0

    def _count(self, status: FileStatus) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def counts(self) -> dict[str, int]:
        """Return how many files ended in each status."""
        statuses: tuple[FileStatus, ...] = ("added", "updated", "unchanged", "deleted", "failed")
        return {s: self._count(s) for s in statuses}

    @property
    def chunks_written(self) -> int:
        """Return how many chunks were embedded and written."""
        return sum(f.chunks for f in self.files if f.status in ("added", "updated"))

    @property
    def nothing_ingested(self) -> bool:
        """Return True when files failed and none went in or stayed valid."""
        c = self.counts
        return c["failed"] > 0 and c["added"] + c["updated"] + c["unchanged"] == 0

    def to_dict(self) -> dict[str, object]:
        """Return the summary as JSON-able values."""
        return {
            "root": self.root,
            "visibility": self.visibility,
            "counts": self.counts,
            "chunks_written": self.chunks_written,
            "seconds": round(self.seconds, 3),
            "files": [asdict(f) for f in self.files],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> IngestSummary:
        """Rebuild a summary from `to_dict` output."""
        raw_files = data.get("files")
        files = tuple(FileOutcome(**f) for f in (raw_files if isinstance(raw_files, list) else []))
        return cls(
            root=str(data["root"]),
            visibility=str(data["visibility"]),
            files=files,
            seconds=float(str(data.get("seconds", 0.0))),
        )
