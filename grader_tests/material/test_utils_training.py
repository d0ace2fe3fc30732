"""Training on the flower data with the course helpers reproduces the lesson's printed cost and accuracy."""

import numpy as np

from grader_tests.helpers.course import planar_utils


def test_flower_training_reproduces_the_lesson(reference, capsys):
    X, Y = planar_utils.func_load_planar_dataset()
    params = reference["func_nn_model"](X, Y, n_h=4, num_epochs=10000, print_cost=True)
    printed = capsys.readouterr().out.split("\n")
    assert printed[:10] == [
        f"cost after iter {i * 1000}: {c}"
        for i, c in enumerate(
            [
                "0.693208",
                "0.255412",
                "0.237878",
                "0.230251",
                "0.225817",
                "0.222741",
                "0.220396",
                "0.218504",
                "0.216923",
                "0.215573",
            ]
        )
    ]
    preds = reference["func_predict"](params, X)
    acc = (np.dot(Y, preds.T) + np.dot(1 - Y, (1 - preds).T)) / float(Y.size) * 100
    assert acc.shape == (1, 1) and acc[0, 0] == 91.25
