"""A refusal at intake: an HTTP status and a plain message saying what is wrong."""


class IntakeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
