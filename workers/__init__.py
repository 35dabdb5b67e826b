"""cpbench's Celery workers: run a shard, finalise an evaluation, reap stale work (imports service, evaluators)."""
