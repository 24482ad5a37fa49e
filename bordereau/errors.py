"""The package's exceptions. Only the CLI turns them into exit codes and one-line French messages."""


class BordereauError(Exception):
    """The command could not do its job (exit code 2). The message is French and user-facing."""


class ReferenceDataError(BordereauError):
    """centres.yaml or a file of tarifs/ is missing or invalid."""


class UsageError(BordereauError):
    """A path that does not exist, an option that makes no sense."""


class WorkbookUnreadable(Exception):
    """A workbook that cannot be read; becomes a FILE_UNREADABLE finding, never an exit 2."""
