"""Add generated lessons to the site's database, for the search scenario.

``python -m bench.generate_lessons COUNT`` (with the site's environment: its
DATABASE_URL) makes a course of COUNT published lessons of about 800 words
each, saved as the admin saves them: rendered, and indexed for search. The
words come from a fixed vocabulary with asyncio's own terms sprinkled in,
seeded, so every run makes the same lessons.
"""

import os
import random
import sys


def _words(text: str) -> list[str]:
    return text.split()


COMMON = _words(
    "the a of to and in is that it for on with as this be are by at from or an which "
    "when each one more than they their what can all if so its also about into only"
)
TERMS = _words(
    "event loop task coroutine future await gather semaphore queue timeout cancel "
    "thread process executor stream reader writer server client socket callback "
    "generator iterator exception group shield deadline worker producer consumer "
    "backpressure latency request response session blocking concurrency parallelism"
)
WORDS = _words(
    "program runs waits starts finishes sends reads writes returns raises holds "
    "keeps makes takes gives shows measures counts limits tells schedules suspends"
)


def paragraph(rng: random.Random, words: int) -> str:
    picked = [rng.choice(COMMON if rng.random() < 0.5 else TERMS + WORDS) for _ in range(words)]
    return " ".join(picked).capitalize() + "."


def body(rng: random.Random) -> str:
    parts = []
    for section in range(6):
        parts.append(f"## {rng.choice(TERMS).capitalize()} and {rng.choice(TERMS)} {section}")
        parts += [paragraph(rng, rng.randint(40, 90)) for _ in range(3)]
    parts.append("```python\nasync def main() -> None:\n    await asyncio.sleep(1)\n```")
    return "\n\n".join(parts) + "\n"


def main(count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutorialsite.settings")
    import django

    django.setup()
    from lessons.models import Course, Lesson

    rng = random.Random(2026)
    course, _ = Course.objects.get_or_create(
        slug="generated", defaults={"title": "Generated lessons", "position": 99}
    )
    for number in range(1, count + 1):
        title = f"{rng.choice(TERMS).capitalize()} {rng.choice(TERMS)} {number}"
        Lesson.objects.create(
            course=course,
            title=title,
            slug=f"generated-{number}",
            summary=paragraph(rng, 20),
            body=body(rng),
            position=number,
            status=Lesson.Status.PUBLISHED,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]))
