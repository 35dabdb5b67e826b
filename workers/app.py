"""The Celery app the workers and beat run: `celery -A workers.app worker` (started by `cpbench worker`)."""

from __future__ import annotations

import multiprocessing
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown

from evaluators.data.loader import shutdown_decode_pools
from service.celery_config import celery_config
from service.db import forget_inherited_connections
from service.settings import get_settings

app = Celery("cpbench", include=["workers.tasks"])
app.config_from_object(celery_config(get_settings()))


@worker_process_init.connect
def _prepare_pool_child(**_: Any) -> None:
    """A prefork child must not share the parent's pooled database connections. It is started as a daemon
    process, and daemons may not start processes of their own, but the runner decodes images in processes
    of its own (stopped below when this child stops): so this child is no daemon."""
    forget_inherited_connections()
    multiprocessing.current_process().daemon = False


@worker_process_shutdown.connect
def _stop_decoders(**_: Any) -> None:
    """The runner keeps its decoding processes for the life of this child (they also die with it if it is
    killed); a clean shutdown stops them here."""
    shutdown_decode_pools()
