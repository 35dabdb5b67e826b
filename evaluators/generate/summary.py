"""What a generator reports: per source, the outputs written or already there, or why it was skipped."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceOutcome:
    relpath: str
    written: int = 0
    existing: int = 0
    error: str | None = None


@dataclass
class Summary:
    sources: int = 0
    written: int = 0
    existing: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (relative path, reason)
    manifest_files: int = 0

    def add(self, outcome: SourceOutcome) -> None:
        self.sources += 1
        self.written += outcome.written
        self.existing += outcome.existing
        if outcome.error:
            self.failed.append((outcome.relpath, outcome.error))

    def skipped_sources(self) -> list[dict[str, str]]:
        """The manifest's record of the sources that gave no output."""
        return [{"path": path, "reason": reason} for path, reason in self.failed]
