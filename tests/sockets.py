"""What the demo socket's tests send: the headers of a page of this site."""

# An origin the site allows (ALLOWED_HOSTS in tests), and its host.
HEADERS = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
