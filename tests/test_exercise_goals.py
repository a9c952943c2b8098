"""Each goal kind graded on made-up runs: the verdict, the figure, the limit, the moment."""

from exercises.blocks import Goal
from exercises.goals import (
    MeasuredRun,
    all_finished,
    grade,
    in_flight_at_least,
    in_flight_at_most,
    loop_blocked_under,
    no_exception,
    output_has,
    running_at_least,
    sentence,
    total_under,
)


def task(index, start, end, ok=True, error=None):
    record = {"task": index, "start": start, "end": end, "ok": ok, "output": ()}
    if error:
        record["error"] = error
    return record


def run(**fields) -> MeasuredRun:
    return MeasuredRun(**{"status": "ok", "elapsed": 1.0, **fields})


def test_total_under_passes_below_the_limit_and_points_at_the_limit_when_over():
    assert total_under(run(elapsed=1.2), 1.5).passed
    slow = total_under(run(elapsed=3.02), 1.5)
    assert not slow.passed
    assert slow.figure == "total 3.02 s; needs under 1.5 s"
    assert slow.at == 1.5


def test_a_cancelled_run_never_passes_a_goal_about_the_whole_run():
    cancelled = run(status="cancelled", elapsed=0.3, complete=False)
    assert not total_under(cancelled, 1.5).passed
    assert not no_exception(cancelled, True).passed
    assert "cancelled" in total_under(cancelled, 1.5).figure


def test_running_at_least_counts_tasks_that_overlap_and_says_when():
    side_by_side = [task(0, 0.0, 1.0), task(1, 0.01, 1.0), task(2, 0.02, 1.01)]
    verdict = running_at_least(run(tasks=side_by_side), 3)
    assert verdict.passed
    assert verdict.measured == 3
    assert verdict.at == 0.02
    one_by_one = [task(0, 0.0, 1.0), task(1, 1.0, 2.0), task(2, 2.0, 3.0)]
    verdict = running_at_least(run(tasks=one_by_one), 3)
    assert not verdict.passed
    assert verdict.figure == "peak 1 running at once; needs at least 3"


def test_a_task_never_finished_counts_as_running_to_the_end():
    verdict = running_at_least(run(elapsed=2.0, tasks=[task(0, 0.0, None), task(1, 1.5, 1.6)]), 2)
    assert verdict.passed


def test_loop_blocked_under_finds_the_longest_step_or_callback_and_when_it_began():
    trace = [
        {"kind": "step", "t": 0.0, "start": 0.0, "end": 0.002},
        {"kind": "blocked", "t": 0.5, "start": 0.5, "end": 0.62},
        {"kind": "turn", "t": 0.7, "start": 0.7, "end": 1.7},  # a turn waiting is no block
    ]
    verdict = loop_blocked_under(run(trace=trace), 50)
    assert not verdict.passed
    assert verdict.measured == 120.0
    assert verdict.at == 0.5
    assert verdict.figure == "longest step 120 ms; needs under 50 ms"
    assert loop_blocked_under(run(trace=trace[:1]), 50).passed


def test_loop_blocked_under_fails_a_run_without_a_trace_rather_than_guess():
    verdict = loop_blocked_under(run(trace=None), 50)
    assert not verdict.passed
    assert "not traced" in verdict.figure


def test_forged_records_are_skipped_not_trusted():
    trace = [{"kind": "step", "start": "soon", "end": None}, "junk", {"kind": "step"}]
    assert loop_blocked_under(run(trace=trace), 50).measured == 0.0


def test_in_flight_goals_read_the_count_made_outside_the_sandbox():
    counted = run(weather={"peak": 10, "peak_at": 0.07, "requests": 10})
    assert in_flight_at_least(counted, 5).passed
    too_many = in_flight_at_most(counted, 3)
    assert not too_many.passed
    assert too_many.at == 0.07
    assert too_many.figure == "peak 10 in flight of 10 requests; needs at most 3"
    assert not in_flight_at_least(
        run(weather={"peak": 1, "peak_at": 0.1, "requests": 10}), 5
    ).passed


def test_in_flight_goals_fail_where_nothing_was_counted():
    assert not in_flight_at_most(run(weather=None), 3).passed
    assert not in_flight_at_least(run(weather={"peak": "lots"}), 1).passed


def test_all_finished_fails_for_a_task_left_pending_or_cancelled():
    assert all_finished(run(tasks=[task(0, 0, 1), task(1, 0, 0.5)]), True).passed
    left = all_finished(run(tasks=[task(0, 0, 1), task(1, 0.2, None)]), True)
    assert not left.passed
    assert left.figure == "1 task unfinished; needs none"
    assert left.at == 0.2


def test_a_task_cancelled_after_main_returned_was_never_awaited():
    main_ends = [{"kind": "step", "task": 0, "start": 0.49, "end": 0.5, "state": "done"}]
    cancelled_late = [task(0, 0.1, 0.51, ok=False, error="cancelled")]
    assert not all_finished(run(tasks=cancelled_late, trace=main_ends), True).passed
    # Cancelled by the program and awaited while main ran: finished.
    cancelled_early = [task(0, 0.1, 0.3, ok=False, error="cancelled")]
    assert all_finished(run(tasks=cancelled_early, trace=main_ends), True).passed


def test_output_has_wants_every_line_in_any_order():
    printed = ["eggs: ready", "toast: ready  "]
    assert output_has(run(printed=printed), ["toast: ready", "eggs: ready"]).passed
    missing = output_has(run(printed=printed), ["toast: ready", "coffee: ready"])
    assert not missing.passed
    assert missing.figure == "1 of 2 lines missing, such as “coffee: ready”"


def test_no_exception_names_the_one_that_escaped():
    error = {"type": "ValueError", "message": "no", "line": 12}
    verdict = no_exception(run(status="failed", error=error), True)
    assert not verdict.passed
    assert verdict.figure == "ValueError escaped at line 12; needs none"
    assert no_exception(run(), True).passed


def test_every_goal_has_a_sentence_shown_before_the_run():
    assert sentence(Goal("total_under", 1.5)) == "The whole run takes under 1.5 s."
    assert sentence(Goal("loop_blocked_under", 50.0)) == (
        "No single step holds the event loop for 50 ms or more."
    )
    assert sentence(Goal("output_has", ["Paris: 21 C"])) == (
        "The output has this line, in any order: “Paris: 21 C”."
    )


def test_grade_gives_each_goal_its_verdict_in_order():
    goals = [Goal("total_under", 1.5), Goal("no_exception", True)]
    verdicts = grade(goals, run(elapsed=2.0))
    assert [verdict["passed"] for verdict in verdicts] == [False, True]
    assert verdicts[0] == {"kind": "total_under", "passed": False, "measured": 2.0, "limit": 1.5,
                           "figure": "total 2.00 s; needs under 1.5 s",
                           "sentence": "The whole run takes under 1.5 s.", "at": 1.5}  # fmt: skip
