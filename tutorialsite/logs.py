"""Log filters for the site's LOGGING setting."""

import logging


class Brief(logging.Filter):
    """One line at WARNING instead of an ERROR with a traceback.

    For what any client can cause at will, such as a request with a Host the
    site does not serve: a traceback for each would let one client flood the
    log, and there is no bug to trace.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True
