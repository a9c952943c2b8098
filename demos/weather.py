"""Current temperatures for several cities: requests one by one, aiohttp all at once."""

from demos.base import Demo, Variant, Where
from demos.params import CityListParam
from demos.programs import weather_async, weather_sync

DEMO = Demo(
    name="weather",
    title="Weather in several cities",
    description="Asks a weather service for each city's current temperature.",
    params=(
        CityListParam(
            "cities",
            "Cities",
            default=("paris", "toulouse", "marseille"),
            min_items=1,
            max_items=10,
        ),
    ),
    sync=Variant(
        "Run sync",
        weather_sync.main,
        Where.THREAD,
        why=(
            "Each request goes out only when the one before has answered, so the total is the sum"
            " of every city's time to answer."
        ),
    ),
    async_=Variant(
        "Run async",
        weather_async.main,
        Where.LOOP,
        why=(
            "The requests are in flight together, so the total is about the time the slowest city"
            " takes to answer."
        ),
    ),
)
