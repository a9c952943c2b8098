"""Work a request starts: a fire-and-forget task on the server's loop, then a queue and a worker."""

from demos.base import Demo, Variant, Where
from demos.params import IntParam
from demos.programs import background_fire_and_forget, background_worker

DEMO = Demo(
    name="background",
    title="Background work and a deploy",
    description=(
        "Requests arrive 0.2 s apart; each one has a mail to send, which takes 0.5 s. "
        "Every response goes out at once. Then the server stops for a deploy. First the "
        "mails are tasks on the server's loop, then jobs on a queue read by a worker."
    ),
    params=(IntParam("requests", "Requests", default=3, minimum=1, maximum=4),),
    # A private loop each: the fire-and-forget mails are left on the loop when
    # main returns, and they must be cancelled with that loop, not the server's.
    sync=Variant(
        "Fire and forget",
        background_fire_and_forget.main,
        Where.PRIVATE_LOOP,
        why=(
            "The run ended when the server stopped, and the mails still being sent were cancelled"
            " with it."
        ),
    ),
    async_=Variant(
        "Hand it to a worker",
        background_worker.main,
        Where.PRIVATE_LOOP,
        why=(
            "The worker sent the mails one after another and went on after the server stopped, so"
            " the run lasted until the last mail was sent."
        ),
    ),
)
