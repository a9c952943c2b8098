from django.core.management.base import BaseCommand, CommandError

from lessons import services
from lessons.claim_checks import ATTEMPTS, DEFAULT_JOBS, Located, Report, check_now, format_value
from lessons.content_loader import ContentError, read_bundle
from lessons.models import Lesson
from lessons.rendering import BodyError, render_markdown


class Command(BaseCommand):
    help = (
        "Run the demo behind each claim in the lessons ({{claim ...}}) and fail when a "
        "measurement is off by more than the claim's tolerance. Each distinct run is made "
        f"once, and made again up to {ATTEMPTS} times in all for a claim that misses."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--files",
            action="store_true",
            help="Check the bundled lesson files instead of the lessons in the database.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=DEFAULT_JOBS,
            help=(
                f"Runs made at once (default {DEFAULT_JOBS}). The bundled demos mostly wait; "
                "use 1 for a demo that computes, so that runs do not slow each other."
            ),
        )

    def handle(self, *args, files: bool, jobs: int, **options) -> None:
        located = self._from_files() if files else self._from_database()
        if not located:
            self.stdout.write("No claims to check.")
            return
        report = check_now(located, jobs=max(1, jobs))
        if not files:
            # For the lesson editor's list of claims; the files need no database and may
            # hold other text than the lessons staff edit.
            services.claim_checks_record(report=report)
        self._table(report)
        repeated = sum(1 for outcome in report.outcomes if outcome.attempts > 1)
        self.stdout.write(
            f"{len(report.outcomes)} claims, {report.runs} demo runs; a claim that missed was "
            f"measured again, up to {ATTEMPTS} times in all ({repeated} needed more than one)."
        )
        if report.failed:
            for outcome in report.failed:
                claim = outcome.located.claim
                found = (
                    f"measured {format_value(claim, outcome.measured)}"
                    if outcome.measured is not None
                    else outcome.reason
                )
                self.stderr.write(
                    f"{outcome.located.lesson}: claim off after {outcome.attempts} runs: "
                    f"claims {claim.shown} {claim.tolerance_text}, {found}.\n"
                    f'    in: "{claim.context}"'
                )
            raise CommandError(f"{len(report.failed)} of {len(report.outcomes)} claims failed.")
        self.stdout.write(self.style.SUCCESS("Every claim holds."))

    def _from_database(self) -> list[Located]:
        located = []
        for lesson in Lesson.objects.select_related("course"):
            name = f"{lesson.course.slug}/{lesson.slug}"
            try:
                claims = render_markdown(lesson.body).claims
            except BodyError as exc:
                raise CommandError(f"{name}: {exc}") from None
            located += [Located(name, claim) for claim in claims]
        return located

    def _from_files(self) -> list[Located]:
        try:
            courses = read_bundle()
        except ContentError as exc:
            raise CommandError(str(exc)) from None
        return [
            Located(f"{course.slug}/{lesson.slug}", claim)
            for course in courses
            for lesson in course.lessons
            for claim in render_markdown(lesson.body).claims
        ]

    def _table(self, report: Report) -> None:
        rows = [("Lesson", "Run", "Claimed", "Measured", "Runs", "Result")]
        for outcome in report.outcomes:
            claim = outcome.located.claim
            rows.append(
                (
                    outcome.located.lesson,
                    claim.describe_run(),
                    f"{claim.shown} {claim.tolerance_text}",
                    format_value(claim, outcome.measured),
                    str(outcome.attempts),
                    "ok" if outcome.ok else "FAILED",
                )
            )
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
