"""Small asyncio programs for tests/test_tracer.py to trace.

Each is run through ``demos.tracer.private_program``; tests find the lines
they care about by the comments written on them (``# marker: ...``).
"""
