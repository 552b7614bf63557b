"""The few errors pathwise raises inside; the CLI and UI turn each into one line for a person."""


class PathwiseError(Exception):
    """Base of every error pathwise means to show to a person."""


class ConfigError(PathwiseError):
    """A setting is missing or malformed."""


class InputError(PathwiseError):
    """The person's input (a question, a file, a flag) cannot be used as given."""


class ModelError(PathwiseError):
    """The embedding model's files are missing, altered, or cannot be loaded."""


class StoreError(PathwiseError):
    """The vector store cannot be opened, read, or written."""


class LLMUnavailable(PathwiseError):
    """The chat model could not give a usable answer; callers fall back to offline mode."""
