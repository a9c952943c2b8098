"""Classroom rooms: a teacher's demo runs and sections, followed live by readers.

Staff open a room from a lesson and get a short code; readers who join see
the teacher's runs as they stream, are brought to the sections the teacher
picks, and answer the teacher's call for guesses. The room frames ride on the
demo socket (docs/protocol.md, "Rooms").

May import: Django, Channels, ``demos``, ``lessons`` and ``live``. Never
``tutorialsite``.
"""
