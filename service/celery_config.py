"""The Celery configuration shared by the service's producer and the workers, built from the settings.

Acknowledge late and prefetch one, so a task whose worker dies goes back to the queue; reject on worker lost
so a SIGKILLed child's task is redelivered too (the database's attempt limit stops endless redelivery);
soft limit ~0.9 x hard limit; Redis's visibility timeout above the hard limit (service_lessons.md c3).
"""

from __future__ import annotations

from typing import Any

from service.settings import Settings

RUN_SHARD = "cpbench.run_shard"
FINALISE = "cpbench.finalise"
REAP = "cpbench.reap"
REFRESH_DOCUMENTS = "cpbench.refresh_documents"
CONTROL_TIME_LIMIT_S = 600
# The options of every task on the control queue (finalise, reap, refresh documents)
CONTROL_TASK = {"acks_late": True, "time_limit": CONTROL_TIME_LIMIT_S,
                "soft_time_limit": int(CONTROL_TIME_LIMIT_S * 0.9)}


def celery_config(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "broker_connection_retry_on_startup": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_default_queue": settings.control_queue,
        "task_routes": {RUN_SHARD: {"queue": settings.shard_queue}},  # the others: the default, control queue
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_hijack_root_logger": False,
        "beat_schedule": {"reap": {"task": REAP, "schedule": settings.reaper_interval_s},
                          "documents": {"task": REFRESH_DOCUMENTS, "schedule": settings.documents_interval_s}},
        "enable_utc": True,
    }
    if settings.broker_url.startswith(("redis://", "rediss://", "redis+socket://")):
        visibility = int(settings.shard_time_limit_s * 1.2) + 60
        config["broker_transport_options"] = {"visibility_timeout": visibility}
        config["result_backend_transport_options"] = {"visibility_timeout": visibility}
    elif settings.broker_url.startswith(("sqla+sqlite", "sqlalchemy+sqlite")):
        # keyword arguments of create_engine for kombu's SQLAlchemy transport: wait for the file lock
        config["broker_transport_options"] = {"connect_args": {"timeout": 30}}
    return config
