"""The reader's experience in a real browser, against a real daphne."""
