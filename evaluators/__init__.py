"""cpbench's pure library: corruptions, perturbations, metrics, models, datasets and the runner.

Nothing here imports the web, SQL or Celery layers; a notebook can use it on its own.
"""

__version__ = "0.1.0"
