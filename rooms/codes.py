"""Room codes: short enough to read aloud, too many to guess in bulk.

Eight letters and digits from an alphabet without look-alikes (no 0/O, 1/I/L,
5/S, 2/Z, 8/B) give 25**8, about 1.5e11 codes; joins are rate-limited per
address (settings.ROOM_JOIN_RATE_LIMIT), so guessing one takes ages.
"""

import re
import secrets

ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
LENGTH = 8
SHOWN = re.compile(r"\A[A-Z0-9]{4}-?[A-Z0-9]{4}\Z")


def new_code() -> str:
    """A fresh random code, stored without its dash."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """How a reader sees and types a code: ``AB3D-7KQX``."""
    return f"{code[:4]}-{code[4:]}"


def normalize(text: object) -> str | None:
    """A code as stored, from what a reader typed (any case, dash or spaces), or None.

    None for anything that cannot be a code, so that nothing but a checked
    code ever reaches the database or a group name.
    """
    if not isinstance(text, str) or len(text) > 20:
        return None
    squeezed = text.strip().upper().replace(" ", "")
    if not SHOWN.fullmatch(squeezed):
        return None
    code = squeezed.replace("-", "")
    return code if all(c in ALPHABET for c in code) else None
