"""The project: settings, ASGI and URL wiring, and the plumbing every page shares.

Middleware, the HTTP guard, the page cache in front of Django, system
checks, login throttling, garbage-collection tuning, and the ``serve``
command that starts every process.

May import: every package of the site; none of them imports it.
"""
