from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    verbose_name = "Exercises"

    def ready(self) -> None:
        from exercises.blocks import (
            MAX_EXERCISES,
            ExerciseBlock,
            ExerciseBlockError,
            parse_exercise_block,
        )
        from exercises.html import exercise_html
        from lessons.block_kinds import BlockKind, register

        # Lessons render ```exercise blocks through this, never importing this app.
        register(
            BlockKind(
                info="exercise",
                parse=parse_exercise_block,
                html=exercise_html,
                stored=ExerciseBlock.stored,
                most=MAX_EXERCISES,
                error=ExerciseBlockError,
            )
        )
