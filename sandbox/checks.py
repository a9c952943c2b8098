"""What a sandbox may say: each event it sends is checked field by field.

The program runs in the same process that writes the events, so anything
may arrive: a forged event, a huge string, a number that is not one. An
event that does not fit is dropped; one that fits comes back as a new dict
holding only the fields the protocol has, with strings cut to size, so
nothing the program wrote reaches a reader's page unchecked.
"""

import math
from typing import Any

MAX_TASK = 10_000
MAX_TEXT = 500
MAX_ERROR = 300
MAX_LABEL = 200
MAX_TRACEBACK = 8000
MAX_MESSAGE = 1000
MAX_LIST = 20
MAX_BATCH = 500
# Seconds on a run's clock: a day is far past any wall clock. A larger time is
# forged, and lengths made from it could overflow to infinity, which is not JSON.
MAX_TIME = 86_400.0

# A trace record's fields and what each may hold (see docs/protocol.md).
_NUMBER = "number"
_OPTIONAL_NUMBER = "number or null"
_INT = "int or null"
_TEXT = "text"
_OPTIONAL_TEXT = "text or null"
_LABELS = "list of text"
_TIMERS = "list of timers"
_RECORDS = {
    "task_created": {"t": _NUMBER, "task": _INT, "name": _TEXT, "parent": _INT, "line": _INT,
                     "lane": _INT},
    "step": {"t": _NUMBER, "task": _INT, "ready": _OPTIONAL_NUMBER, "start": _NUMBER,
             "end": _NUMBER, "line": _INT, "awaits": _OPTIONAL_TEXT, "state": _TEXT},
    "turn": {"t": _NUMBER, "start": _NUMBER, "end": _NUMBER, "select_wait": _NUMBER,
             "timeout": _OPTIONAL_NUMBER, "woke_by": _TEXT, "callbacks": _INT,
             "ready": _LABELS, "timers": _TIMERS},
    "blocked": {"t": _NUMBER, "start": _NUMBER, "end": _NUMBER, "line": _INT, "task": _INT},
    "truncated": {"t": _NUMBER, "limit": _INT},
}  # fmt: skip


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _time(value: Any) -> float | None:
    number = _number(value)
    return None if number is None or not 0 <= number <= MAX_TIME else round(number, 6)


def _index(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TASK:
        return None
    return value


def _text(value: Any, size: int) -> str | None:
    return value[:size] if isinstance(value, str) else None


def _field(kind: str, value: Any) -> tuple[bool, Any]:
    """Whether ``value`` is a ``kind``, and the value to keep."""
    match kind:
        case "number":
            number = _time(value)
            return number is not None, number
        case "number or null":
            number = _time(value)
            return value is None or number is not None, number
        case "int or null":
            if value is None:
                return True, None
            if isinstance(value, bool) or not isinstance(value, int):
                return False, None
            return -1 <= value <= 10_000_000, value
        case "text":
            text = _text(value, MAX_LABEL)
            return text is not None, text
        case "text or null":
            text = _text(value, MAX_LABEL)
            return value is None or text is not None, text
        case "list of text":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return False, None
            return True, [v[:MAX_LABEL] for v in value[:MAX_LIST]]
        case "list of timers":
            if not isinstance(value, list):
                return False, None
            timers = []
            for timer in value[:MAX_LIST]:
                if not isinstance(timer, dict):
                    return False, None
                due, wakes = _time(timer.get("due")), _text(timer.get("wakes"), MAX_LABEL)
                if due is None or wakes is None:
                    return False, None
                timers.append({"due": due, "wakes": wakes})
            return True, timers
    return False, None


def checked_record(record: Any) -> dict[str, Any] | None:
    if not isinstance(record, dict):
        return None
    fields = _RECORDS.get(record.get("kind"))  # type: ignore[arg-type]
    if fields is None:
        return None
    checked: dict[str, Any] = {"kind": record["kind"]}
    for name, kind in fields.items():
        ok, value = _field(kind, record.get(name))
        if not ok:
            return None
        checked[name] = value
    return checked


def _error(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    kind = _text(value.get("type"), 100)
    if not kind:
        return None
    error: dict[str, Any] = {
        "type": kind,
        "message": _text(value.get("message"), MAX_MESSAGE) or "",
        "line": _index(value.get("line")) if value.get("line") is not None else None,
        "traceback": _text(value.get("traceback"), MAX_TRACEBACK) or "",
    }
    if "column" in value:
        error["column"] = _index(value.get("column")) if value.get("column") is not None else None
    return error


def checked_event(event: Any, *, max_records: int = 5000) -> dict[str, Any] | None:
    """The event as the protocol has it, or None when it does not fit."""
    if not isinstance(event, dict):
        return None
    match event.get("type"):
        case "started":
            origin = _number(event.get("origin"))
            return None if origin is None else {"type": "started", "origin": origin}
        case "task_started":
            task, t = _index(event.get("task")), _time(event.get("t"))
            if task is None or t is None:
                return None
            return {"type": "task_started", "task": task, "t": t}
        case "task_finished":
            task, t, ok = _index(event.get("task")), _time(event.get("t")), event.get("ok")
            if task is None or t is None or not isinstance(ok, bool):
                return None
            checked = {"type": "task_finished", "task": task, "t": t, "ok": ok}
            if not ok:
                checked["error"] = _text(event.get("error"), MAX_ERROR) or "failed"
            return checked
        case "output":
            task = event.get("task")
            t, text = _time(event.get("t")), _text(event.get("text"), MAX_TEXT)
            if (task is not None and _index(task) is None) or t is None or text is None:
                return None
            return {"type": "output", "task": task, "text": text, "t": t}
        case "trace":
            records = event.get("records")
            if not isinstance(records, list) or len(records) > MAX_BATCH:
                return None
            checked_records = [checked_record(record) for record in records[: max_records + 1]]
            if any(record is None for record in checked_records):
                return None
            return {"type": "trace", "records": checked_records}
        case "syntax_error" | "exception":
            error = _error(event.get("error"))
            return None if error is None else {"type": event["type"], "error": error}
        case "exit":
            elapsed, status = _time(event.get("elapsed")), event.get("status")
            if elapsed is None or isinstance(status, bool) or not isinstance(status, int):
                return None
            return {"type": "exit", "elapsed": elapsed, "status": status}
    return None
