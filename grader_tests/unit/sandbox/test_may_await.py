"""The kernel asks IPython whether a cell awaits only when its text may (kernel_child.may_await)."""

import pytest
from IPython.core.async_helpers import _should_be_async

from grader.sandbox.kernel_child import may_await

CELLS = [
    "await asyncio.sleep(0)\n",
    "x = await f()\n",
    "async for item in source():\n    print(item)\n",
    "async with lock:\n    pass\n",
    "values = [v async for v in source()]\n",
    "values = [await v for v in futures]\n",
    "async def f():\n    return 1\n",  # defines a coroutine function: the cell itself does not await
    "def f():\n    return 1\n",
    "print('await')\n",  # the word in a string: asked, and IPython says no
    "x = 1 +\n",  # a syntax error
    "import numpy as np\nnp.dot(np.ones(2), np.ones(2))\n",
    "",
]


@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_ipython_would_run_as_a_coroutine_is_asked_about(cell):
    if _should_be_async(cell):
        assert may_await(cell)


def test_cells_without_the_words_are_not_asked_about_and_the_others_are():
    assert [may_await(c) for c in CELLS] == [True] * 7 + [False, True, False, False, False]
    assert sum(_should_be_async(c) for c in CELLS) == 6  # the catalog holds real coroutine cells
