"""Plain-language explanations of why a demo task failed."""

import json
import sys


def explain(exc: BaseException) -> str:
    """One line a reader understands, for the task's lane and the console.

    aiohttp's and requests' errors are looked up among the modules already
    imported: an exception of a library the program never imported cannot
    be one of its errors, and a sandboxed reader's program that only sleeps
    does not pay for importing both.
    """
    aiohttp = sys.modules.get("aiohttp")
    requests = sys.modules.get("requests")
    if isinstance(exc, TimeoutError) or (requests and isinstance(exc, requests.Timeout)):
        return "timed out: no answer in time"
    if requests and isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} from the server"
    if isinstance(exc, json.JSONDecodeError) or (
        aiohttp and isinstance(exc, aiohttp.ContentTypeError)
    ):
        return "the answer is not valid JSON"
    if aiohttp and isinstance(exc, aiohttp.ClientResponseError):
        return f"HTTP {exc.status} from the server"
    if (aiohttp and isinstance(exc, aiohttp.ClientPayloadError)) or (
        requests and isinstance(exc, requests.exceptions.ChunkedEncodingError)
    ):
        return "the answer was cut short"
    if aiohttp and isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection before answering"
    if (aiohttp and isinstance(exc, aiohttp.ClientConnectionError)) or (
        requests and isinstance(exc, requests.ConnectionError)
    ):
        return "could not connect to the server"
    if isinstance(exc, KeyError) and exc.args:
        return f"the answer has no {exc.args[0]!r} field"
    text = str(exc) or "no details"
    return f"{type(exc).__name__}: {text}"[:300]
