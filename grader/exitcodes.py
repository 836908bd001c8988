"""Exit codes of `python -m grader`, in one place.

A grader failure is never shown as a student's failure: it has its own code.
"""
FULL_MARKS = 0      # every graded topic at full marks
NOT_FULL = 1        # anything less: the student has work to do
USAGE = 2           # the command line was wrong
GRADER_FAILED = 3   # the grader or this repository is broken, not the student's code
