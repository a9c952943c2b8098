"""Graded exercises in lessons: a task, a starting program, goals graded on what a run did.

``blocks`` reads fenced ``exercise`` blocks, ``goals`` grades a measured run
against them, ``html`` renders the reader's widget, ``grading`` turns a
sandboxed run into the verdicts the page is sent.
"""
