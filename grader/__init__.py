"""The course's grading engine (instructor side only; never released).

It names no assignment: an assignment is data, found by its id (see
``grader.course.assignment``).  The hidden cases live in ``grading/<id>/spec.py``
and the reference solutions in the source notebooks, neither of which is
released nor visible to a student's kernel.

Importing it (or any of its modules) changes no global state: the set-up a
grading process needs is :func:`grader.environment.prepare`, which the entry
points call.
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
