"""One HTTP response on loopback: the whole body sent at the end, or each part when ready."""

from demos.base import Demo, Variant, Where
from demos.params import FloatParam, IntParam
from demos.programs import streaming_buffered, streaming_chunked

DEMO = Demo(
    name="streaming",
    title="Buffered or streamed response",
    description=(
        "A tiny HTTP server on loopback makes a body in parts, each taking a while, and a "
        "client reads it. The server either sends the whole body once it is complete, or "
        "sends each part as a chunk as soon as it is ready."
    ),
    params=(
        IntParam("parts", "Parts", default=4, minimum=1, maximum=8),
        FloatParam("seconds", "Seconds per part", default=0.3, minimum=0.05, maximum=1.0),
    ),
    # A private loop each: the programs start a server, and a run cancelled
    # midway must not leave it or its connection's task on the server's loop.
    sync=Variant(
        "Build the whole body, then send it",
        streaming_buffered.main,
        Where.PRIVATE_LOOP,
        why=(
            "The body went out only once every part was made: the client waited that whole time "
            "for its first byte."
        ),
    ),
    async_=Variant(
        "Stream each part as it is ready",
        streaming_chunked.main,
        Where.PRIVATE_LOOP,
        why=(
            "Each part went out as soon as it was made: the first byte came after one part, and "
            "the whole body took as long as before."
        ),
    ),
)
