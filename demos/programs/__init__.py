"""The demos' programs, each a whole file a reader can copy and run with ``python``.

Each module is one variant of one demo (``<demo>_<variant>.py``): imports,
constants (the parameters' defaults), helpers, ``main`` taking the demo's
parameters as keyword arguments, and ``asyncio.run(main())`` (or ``main()``)
under ``if __name__ == "__main__":``. The site instruments them from outside
(``demos.instrument``): nothing here knows it runs on a server.

May import: the standard library and the libraries the programs use (aiohttp,
requests). Never any package of this site, ``demos`` included.
"""
