"""All of the service's configuration in one pydantic-settings object (environment prefix `CPBENCH_`).

With nothing set, everything lives under `./.cpbench/`: a SQLite database, a SQLite-backed Celery broker
(kombu's SQLAlchemy transport) and the weights store, so `cpbench serve` runs on one machine with no servers.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

GiB = 1024**3


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPBENCH_", extra="ignore")

    home: Path = Path(".cpbench")
    database_url: str = ""  # default: sqlite under home
    broker_url: str = ""  # default: sqla+sqlite under home
    storage_dir: Path | None = None  # default: home/weights

    # Intake
    max_upload_bytes: int = 2 * GiB
    sandbox_timeout_s: float = 300.0
    sandbox_cpu_s: int = 240
    sandbox_memory_bytes: int = 16 * GiB  # address space of the converter (torch alone maps a few GiB)
    submissions_per_day: int = 20  # per user, admins exempt; failed runs are refunded

    # Shards: soft limit ~0.9 x hard, Redis visibility timeout above the hard limit (service_lessons c3)
    shard_time_limit_s: int = 3600
    max_attempts: int = 3
    heartbeat_interval_s: float = 10.0
    heartbeat_stale_s: float = 180.0
    queued_stale_s: float = 3600.0  # a queued shard whose message got lost is dispatched again after this
    reaper_interval_s: float = 60.0
    smoke_batches: int = 2
    # Stored documents of finished evaluations (service/documents.py) that an upgrade left stale: rendered
    # again by the beat, this many every interval
    documents_interval_s: float = 60.0
    documents_batch: int = 500

    # Queues: shards go to a queue per device class; finalise, the reaper and documents to the control queue
    shard_queue: str = "shards"
    control_queue: str = "control"

    # Worker
    worker_device: str = "auto"  # auto = cuda when available, else cpu
    worker_batch_size: int = 64
    worker_loader_workers: int | None = None  # decoding processes per shard; None: the library's default
    model_cache_size: int = 2
    frost_dir: Path | None = None

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = Field(default=1, ge=1)  # API processes (each holds the model registry, a few hundred MB)
    max_page_size: int = Field(default=1000, ge=1)

    @model_validator(mode="after")
    def _defaults_under_home(self) -> Settings:
        self.home = self.home.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'cpbench.sqlite'}"
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{self.home / 'broker.sqlite'}"
        self.storage_dir = (self.storage_dir or self.home / "weights").expanduser().resolve()
        return self

    @property
    def shard_soft_time_limit_s(self) -> int:
        return max(1, int(self.shard_time_limit_s * 0.9))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uploads_dir(self) -> Path:
        assert self.storage_dir is not None
        return self.storage_dir / "uploads"

    def ensure_home(self) -> None:
        """Home holds the SQLite files and beat's schedule; every process may need it."""
        self.home.mkdir(parents=True, exist_ok=True)

    def ensure_storage(self) -> None:
        """The weights store and its uploads folder: the API's (workers may mount the store read-only)."""
        self.uploads_dir.mkdir(parents=True, exist_ok=True)


@cache
def get_settings() -> Settings:
    settings = Settings()
    settings.ensure_home()
    return settings
