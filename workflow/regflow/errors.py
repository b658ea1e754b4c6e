"""User-facing errors: raised for bad input and reported as one line by the CLI."""


class RegflowError(Exception):
    """A problem with the user's input that names the file, sample or row at fault."""
