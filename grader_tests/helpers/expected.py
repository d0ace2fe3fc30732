"""The points the course promises per exercise (the README's table), as the tests expect them.

Written here once, independently of the notebook, so that a change of the
notebook's points is caught rather than followed.
"""

POINTS = {
    "func_layer_sizes": 1,
    "func_initialize_parameters": 2,
    "func_forward_propagation": 3,
    "func_compute_cost": 2,
    "func_backward_propagation": 5,
    "func_update_parameters": 2,
    "func_nn_model": 3,
    "func_predict": 2,
}
GRADE_POINTS = {f"{exercise}_values": points for exercise, points in POINTS.items()}
