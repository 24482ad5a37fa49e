"""The package's exceptions. Only the CLI turns them into exit codes and one-line French messages."""

import errno


class BordereauError(Exception):
    """The command could not do its job (exit code 2). The message is French and user-facing."""


class ReferenceDataError(BordereauError):
    """centres.yaml or a file of tarifs/ is missing or invalid."""


class UsageError(BordereauError):
    """A path that does not exist, an option that makes no sense."""


class WorkbookUnreadable(Exception):
    """A workbook that cannot be read; becomes a FILE_UNREADABLE finding, never an exit 2."""


_REFUSED = "accès refusé (lecture seule, ou fichier ouvert dans un autre programme, comme Excel ?)"
_CAUSES = {
    errno.ENOSPC: "disque plein", errno.EDQUOT: "quota du disque dépassé (plein)",
    errno.EROFS: "support en lecture seule",
    errno.EACCES: _REFUSED, errno.EPERM: _REFUSED,  # Windows says EACCES of a file Excel holds open
    errno.EBUSY: "fichier occupé (ouvert dans un autre programme ?)",
    errno.ENOENT: "fichier ou dossier introuvable", errno.ENOTDIR: "un fichier porte le nom d'un dossier du chemin",
    errno.EISDIR: "c'est un dossier", errno.EEXIST: "existe déjà",
    errno.ENAMETOOLONG: "nom de fichier trop long", errno.EINVAL: "nom de fichier invalide",
    errno.ENOTEMPTY: "dossier non vide",
}


def os_cause(exc: OSError, reading: bool = False) -> str:
    """Why a file could not be written (or, `reading`, read), in French; an error without a French sentence is named
    by its code, never by the system's English text.

    >>> os_cause(OSError(28, "No space left on device")), os_cause(OSError(30, "Read-only file system"))
    ('disque plein', 'support en lecture seule')
    >>> os_cause(OSError(errno.EMFILE, "Too many open files")), os_cause(OSError("no errno"))
    ('erreur du système (EMFILE)', 'erreur du système (OSError)')
    """
    if reading and exc.errno in (errno.EACCES, errno.EPERM):  # « lecture seule » says nothing of a file to read
        return "accès refusé (fichier ouvert dans un autre programme, comme Excel, ou droits insuffisants ?)"
    if exc.errno in _CAUSES:
        return _CAUSES[exc.errno]
    return f"erreur du système ({errno.errorcode.get(exc.errno, exc.__class__.__name__)})"


def os_error(exc: BaseException) -> OSError | None:
    """The OS error in `exc` or in what it wraps (xlsxwriter's FileCreateError wraps one), if any."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None or isinstance(seen, OSError):
            break
        wrapped = seen.args[0] if seen.args and isinstance(seen.args[0], OSError) else None
        seen = seen.__cause__ or wrapped or seen.__context__
    return seen if isinstance(seen, OSError) else None


def os_error_line(exc: BaseException) -> str | None:
    """One French line for an OS error found in `exc`, naming its path when it has one; None when there is none."""
    found = os_error(exc)
    if found is None:
        return None
    where = f"{found.filename} : " if found.filename else ""
    return f"{where}{os_cause(found)}"
