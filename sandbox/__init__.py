"""Running readers' own programs: a bubblewrap sandbox for each run, and the runner.

``launcher`` starts one sandbox and streams what the program does; ``inside``
is what runs in it; ``checks`` trusts nothing that comes out of it;
``limits`` says what a run may use; ``runner`` is the process that takes
runs from the channel layer and launches them (``python -m sandbox``), on
the site's machine or on a host of its own.

May import: the standard library, ``demos`` (whose reporting runs inside the
sandbox) and the channel layer's Redis client. Never Django's settings, nor
``lessons``, ``live`` or ``tutorialsite``: a runner host holds no secret of
the site's.
"""
