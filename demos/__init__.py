"""The demo programs and what runs them, as plain Python.

Each demo module (``sleep``, ``weather``, ``blocking``) declares its
parameters and its sync and async variants; ``registry`` lists them,
``catalog`` describes them to the widget, ``runner`` runs one variant for real
and ``reporting`` turns its tasks and prints into events; ``tracer`` records
what the event loop did during a run (standard library only).

May import: the standard library and the libraries the demos use (aiohttp,
requests, Pygments). Never Django, nor any other package of this site: the
site tells it what it needs (``http.configure``).
"""
