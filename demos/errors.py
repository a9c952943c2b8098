"""Plain-language explanations of why a demo task failed."""

import asyncio
import json

import aiohttp
import requests


def explain(exc: BaseException) -> str:
    """One line a reader understands, for the task's lane and the console."""
    match exc:
        case TimeoutError() | asyncio.TimeoutError() | requests.Timeout():
            return "timed out: no answer in time"
        case requests.HTTPError(response=response) if response is not None:
            return f"HTTP {response.status_code} from the server"
        case aiohttp.ContentTypeError() | json.JSONDecodeError():
            return "the answer is not valid JSON"
        case aiohttp.ClientResponseError(status=status):
            return f"HTTP {status} from the server"
        case aiohttp.ClientPayloadError() | requests.exceptions.ChunkedEncodingError():
            return "the answer was cut short"
        case aiohttp.ServerDisconnectedError():
            return "the server closed the connection before answering"
        case aiohttp.ClientConnectionError() | requests.ConnectionError():
            return "could not connect to the server"
        case KeyError(args=(key, *_)):
            return f"the answer has no {key!r} field"
    text = str(exc) or "no details"
    return f"{type(exc).__name__}: {text}"[:300]
