"""The websocket side: running demos for readers and streaming what happens.

The demo consumer and its protocol, the limits on runs (in-memory and Redis
versions of each), start pacing, stored runs (``DemoRun``) with their writer
and pruning, live lesson updates, the graceful stop, and shared runs (their
tokens and the page that replays them, live.sharing, live.replay, live.views).

May import: Django, Channels, ``demos`` and ``lessons``. Never
``tutorialsite``.
"""
