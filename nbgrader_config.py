"""nbgrader configuration of the L1W3 course (the repository root is the course root)."""
import os
import sys

c = get_config()  # noqa: F821 (provided by nbgrader)

HERE = os.path.dirname(os.path.abspath(__file__))
# nbgrader may run with the course root off sys.path (formgrader, another cwd).
if HERE not in sys.path:
    sys.path.insert(0, HERE)

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "deeplearning-L1W3"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# SQLite by default; set NBGRADER_DB_URL (e.g. postgresql://...) for a shared gradebook.
c.CourseDirectory.db_url = os.environ.get(
    "NBGRADER_DB_URL", "sqlite:///" + os.path.join(HERE, "gradebook.db"))
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*",
]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.enforce_metadata = True

# A student who deletes a test cell still gets it run (stock default: False).
c.OverwriteCells.add_missing_cells = True
c.Execute.timeout = 120

# The release shows, after each exercise, what a correct solution prints: the
# source notebook's stored outputs, read before ClearOutput wipes them.
from nbgrader.converters.generate_assignment import GenerateAssignment  # noqa: E402
from nbgrader.preprocessors import ClearOutput  # noqa: E402

# A class, not its dotted name: nbgrader calls class_traits() on each entry.
from grader.expected_outputs import AddExpectedOutputs  # noqa: E402

_stock = list(GenerateAssignment.class_traits()["preprocessors"].default())
c.GenerateAssignment.preprocessors = (
    _stock[:_stock.index(ClearOutput)]
    + [AddExpectedOutputs]
    + _stock[_stock.index(ClearOutput):])
