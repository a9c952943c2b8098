"""The JSON answer the bench's own HTTP endpoints give, in raw ASGI."""

import json
from typing import Any


async def send_json(send: Any, body: dict[str, Any], status: int = 200) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
