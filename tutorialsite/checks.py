"""Deploy checks that see the site's own middleware classes.

Django's deploy checks security.W001 to W003 look for its middleware by dotted
path, so subclasses (tutorialsite.middleware runs Django's hooks on the event loop)
read as missing. These checks accept a class or any subclass of it, and the
settings silence Django's three in their favour: removing a protection is
still reported by ``manage.py check --deploy``.
"""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

REQUIRED = {
    "tutorialsite.W001": (
        "django.middleware.security.SecurityMiddleware",
        "security headers, HSTS and the HTTPS redirect are not sent",
    ),
    "tutorialsite.W002": (
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "pages are sent without X-Frame-Options",
    ),
    "tutorialsite.W003": (
        "django.middleware.csrf.CsrfViewMiddleware",
        "forms are not protected against cross-site request forgery",
    ),
    "tutorialsite.W004": (
        "django.middleware.csp.ContentSecurityPolicyMiddleware",
        "pages are sent without a Content Security Policy",
    ),
}


def _installed() -> list[type]:
    classes = []
    for path in settings.MIDDLEWARE:
        try:
            classes.append(import_string(path))
        except ImportError:
            continue  # Django reports a missing middleware on its own
    return classes


@checks.register(checks.Tags.security, deploy=True)
def required_middleware(app_configs, **kwargs) -> list[checks.CheckMessage]:
    installed = _installed()
    problems = []
    for check_id, (path, consequence) in REQUIRED.items():
        required = import_string(path)
        if not any(isinstance(cls, type) and issubclass(cls, required) for cls in installed):
            problems.append(
                checks.Warning(
                    f"No {path} (or a subclass) in MIDDLEWARE: {consequence}.", id=check_id
                )
            )
    return problems
