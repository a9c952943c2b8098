"""Local stand-in for the prevision-meteo.ch weather service used by the ``weather`` demo.

Run it with ``python -m lessons.weathersim``; build it in tests with
``lessons.weathersim.app.make_app``. This package deliberately does not import Django:
it runs as a separate process next to the site.
"""
