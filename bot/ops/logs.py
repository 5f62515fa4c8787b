"""Logging set-up. The token must never reach a log: httpx logs request URLs (which contain it) at INFO,
so httpx is held at WARNING, and every record is scrubbed of the token as well."""

from __future__ import annotations

import json
import logging
import sys
import time


class RedactToken(logging.Filter):
    """Replaces the token wherever it appears in a record's final text."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        # Formatted once, here: the handler's formatter then finds the final text with nothing to fill in.
        record.msg, record.args = self._scrub(record.getMessage()), None
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, scrubbed, so the handler prints only the clean copy.
            record.exc_text = self._scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        return True

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return text


# python-telegram-bot logs a getUpdates batch it cannot parse in full, at CRITICAL, and an answer that is
# not JSON (cut short on the way, say) in full, at ERROR: both may hold users' messages.
_RAW_UPDATES = "Error while parsing updates! Received data was %r"
_RAW_ANSWER = 'Can not load invalid JSON data: "%s"'


class NoUserText(logging.Filter):
    """Keeps what users wrote out of the log: an unreadable batch is logged by its ids and size only,
    an answer that is not JSON by its length."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == _RAW_ANSWER and isinstance(record.args, tuple) and record.args:
            record.msg = "Telegram's answer is not JSON: %d characters (not logged)"
            record.args = (len(str(record.args[0])),)
            record.exc_info = None  # where the JSON broke says nothing an operator can use
            record.exc_text = None
        if record.msg == _RAW_UPDATES and isinstance(record.args, tuple) and record.args:
            batch = record.args[0]
            updates = batch if isinstance(batch, list) else []
            ids = [u.get("update_id") for u in updates if isinstance(u, dict)][:20]
            record.msg = "Error while parsing updates: %d updates, ids %s, %d bytes of data (not logged)"
            record.args = (len(updates), ids, len(repr(batch)))
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                record.msg += "; %s"
                record.args = (*record.args, type(error).__name__)
                record.exc_info = None
                record.exc_text = None
        return True


# The fields our records carry beside their message (an update's, and the summary of many).
_FIELDS = (
    *("update_kind", "chat_type", "outcome", "seconds"),
    *("updates", "chat_types", "mean_seconds", "slowest_seconds"),
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # The token scrubber fills exc_text; without a secret configured, format the traceback here.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        for key in _FIELDS:
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str, fmt: str, secrets: list[str]) -> None:
    """Configure the root logger once: level, format, and the token scrubber on every handler."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(NoUserText())
    handler.addFilter(RedactToken(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Neither format shows where a record was made, nor its thread or process: do not collect them for
    # every record (the Logging HOWTO's "Optimization" section; a log line per update adds up).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
