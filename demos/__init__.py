"""The demo programs and what runs them, as plain Python.

Each variant's code is a whole program in ``programs`` that runs on its own
with ``python``; each demo module (``sleep``, ``weather``, ``blocking``,
``order``) declares its parameters and points its sync and async variants at
those programs; ``registry`` lists them, ``catalog`` describes them to the
widget, ``runner`` runs one variant for real, ``instrument`` and
``reporting`` turn its tasks and prints into events from outside the
program; ``tracer`` records what the event loop did during a run (standard
library only).

May import: the standard library and the libraries the demos use (aiohttp,
requests, Pygments). Never Django, nor any other package of this site: the
site tells it what it needs (``http.configure``).
"""
