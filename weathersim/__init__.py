"""Local stand-in for the prevision-meteo.ch weather service used by the ``weather`` demo.

Run it with ``python -m weathersim``; build it in tests with
``weathersim.app.make_app``. It runs as a separate process next to the site.

May import: the standard library and aiohttp. Never Django, nor any other
package of this site.
"""
