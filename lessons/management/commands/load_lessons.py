from django.core.management.base import BaseCommand, CommandError

from lessons.content_loader import ContentError, load_bundle, read_bundle


class Command(BaseCommand):
    help = (
        "Load the bundled courses and lessons. Creates what is missing and refreshes bundled "
        "lessons from their files; a lesson changed since it was loaded (in the admin, a shell, "
        "a script or a data migration) is never overwritten."
    )

    def handle(self, *args, **options) -> None:
        try:
            report = load_bundle(read_bundle())
        except ContentError as exc:
            raise CommandError(f"Nothing was loaded: {exc}") from None
        for label, names in (("created", report.created), ("updated", report.updated)):
            for name in names:
                self.stdout.write(f"{label}: {name}")
        if report.rerendered:
            self.stdout.write(f"rendered again with the current renderer: {report.rerendered}")
        for name, reason in report.not_rerendered:
            message = f"not rendered again, kept as it was (edit it): {name}: {reason}"
            self.stdout.write(self.style.WARNING(message))
        for name, reason in report.kept:
            self.stdout.write(f"kept ({reason}): {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Lessons loaded: {len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.kept)} kept as someone changed them."
            )
        )
