"""Submission intake: stream the upload to disk, check it cheaply, convert pickles in a sandbox, store it."""
