"""Typed errors a user can cause. The CLI prints them as one line; the API turns them into a 4xx."""


class CpbenchError(ValueError):
    """Base class of every error caused by user input (names, files, arguments)."""


class UnknownNameError(CpbenchError, KeyError):
    """A corruption, perturbation, model or other registry name that does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidInputError(CpbenchError):
    """An array, tensor or value of the wrong shape, dtype or range."""


class CheckpointError(CpbenchError):
    """A checkpoint that cannot be read or does not fit the architecture."""


class DatasetError(CpbenchError):
    """A dataset folder that is missing files, unreadable or mislabeled."""


class MissingAssetError(CpbenchError):
    """An external asset (such as the frost textures) that cpbench may not ship and could not find."""
