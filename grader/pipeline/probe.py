"""Hidden-test probes: code the grader sends into a kernel, and the decoding of its answers.

A probe calls one student function (as it was at its test cell) on the
hidden inputs and returns the raw results, encoded as plain JSON.  It
decides nothing: the grading process decodes the results with
:func:`decode`, which accepts only numbers, strings, lists, dicts and
arrays of numbers, and compares them with its own reference values.

A composite exercise (one that calls other exercises' functions) is run
with **callee stubs**: calling one sends its arguments to the grading
process (:func:`answer_call`), which computes the reference result there
and sends the value back.  No reference source or bytecode ever enters the
kernel, so nothing running there can keep it.
"""

import json

import numpy as np

# Runs inside the student's kernel.  ``__CASES__``, ``__EXERCISE__`` and
# ``__CALLEES__`` are filled in by :func:`build`.
_TEMPLATE = r"""
def __probe__(user_ns, recorded, call):
    import numpy as _np
    cases = __CASES__
    exercise, callees = __EXERCISE__, __CALLEES__

    def dec(o):
        if isinstance(o, dict):
            if "__nd__" in o:
                return _np.array(o["__nd__"], dtype=o["dtype"]).reshape(o["shape"])
            if "__tuple__" in o:
                return tuple(dec(v) for v in o["__tuple__"])
            return {k: dec(v) for k, v in o.items()}
        if isinstance(o, list):
            return [dec(v) for v in o]
        return o

    def enc(o, depth=0):
        if depth > 20:
            return {"__unsupported__": "nesting too deep"}
        if isinstance(o, _np.ndarray):
            if o.dtype.kind not in "biuf" or o.size > 1000000:
                return {"__unsupported__": "array of dtype %s and size %d" % (o.dtype, o.size)}
            return {"__nd__": o.astype(float).ravel().tolist() if o.dtype.kind != "b"
                    else o.ravel().tolist(), "dtype": str(o.dtype), "shape": list(o.shape)}
        if isinstance(o, _np.generic):
            return {"__scalar__": o.item(), "dtype": str(o.dtype)}
        if isinstance(o, bool) or o is None:
            return {"__unsupported__": repr(o)}
        if isinstance(o, int) and not -2 ** 63 <= o < 2 ** 63:
            return {"__unsupported__": "integer too large"}
        if isinstance(o, str) and len(o) > 10000:
            return {"__unsupported__": "string of %d characters" % len(o)}
        if isinstance(o, (int, float, str)):
            return o
        if isinstance(o, tuple):
            return {"__tuple__": [enc(v, depth + 1) for v in o]}
        if isinstance(o, list):
            return {"__list__": [enc(v, depth + 1) for v in o]}
        if isinstance(o, dict):
            if len(o) > 1000:
                return {"__unsupported__": "dict of %d keys" % len(o)}
            return {"__dict__": [[str(k)[:100], enc(v, depth + 1)] for k, v in o.items()]}
        return {"__unsupported__": type(o).__name__}

    def stub(name):
        def reference(*args, **kwargs):
            return dec(call(name, enc(args), enc(kwargs)))
        reference.__name__ = name
        return reference

    missing = object()
    function = recorded.get(exercise, missing) if isinstance(recorded, dict) else missing
    if function is None:
        function = missing
    results = []
    for case in cases:
        if function is missing:
            results.append({"error": "NameError", "missing": True})
            continue
        saved = {name: user_ns.get(name, missing) for name in callees}
        try:
            for name in callees:
                user_ns[name] = stub(name)
            value = function(*dec(case["args"]), **dec(case["kwargs"]))
            results.append({"value": enc(value)})
        except KeyboardInterrupt:
            raise  # the grader's time limit
        except BaseException as exc:  # SystemExit too: a function that exits fails its case only
            results.append({"error": type(exc).__name__})
        finally:
            for name, value in saved.items():
                if value is missing:
                    user_ns.pop(name, None)
                else:
                    user_ns[name] = value
    return results
"""


def encode(o):
    """Encode grader-side values (inputs, reference results) in the probe's format."""
    if isinstance(o, np.ndarray):
        return {"__nd__": o.ravel().tolist(), "dtype": str(o.dtype), "shape": list(o.shape)}
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, tuple):
        return {"__tuple__": [encode(v) for v in o]}
    if isinstance(o, list):
        return [encode(v) for v in o]
    if isinstance(o, dict):
        return {k: encode(v) for k, v in o.items()}
    return o


def build(exercise, cases, callees):
    """The probe's source for ``exercise`` on ``cases`` (``grader.spec.Case`` list).

    Contains the hidden inputs and the callees' names, never reference code.
    """
    encoded = [{"args": encode(tuple(c.args)), "kwargs": encode(dict(c.kwargs))} for c in cases]
    return (
        _TEMPLATE.replace("__CASES__", repr(json.loads(json.dumps(encoded))))
        .replace("__EXERCISE__", repr(exercise))
        .replace("__CALLEES__", repr(tuple(callees)))
    )


MAX_CALL_ELEMENTS = 1_000_000  # numbers a callee request, or its result, may carry


def answer_call(assignment, exercise, message):
    """The grader's reply to a callee stub's ``call`` during ``exercise``'s probe.

    Only the exercise's own callees are answered, on strictly decoded
    arguments of bounded size; the reference runs here and only its result
    is sent back.
    """
    name = message.get("name")
    if name not in assignment.spec.callees.get(exercise, ()):
        return {"op": "raise", "error": f"{name!r} is not a function {exercise} uses"}
    try:
        args, kwargs = decode(message.get("args")), decode(message.get("kwargs"))
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise Unsupported("malformed call")
        if _elements(args) + _elements(kwargs) > MAX_CALL_ELEMENTS:
            raise Unsupported("arguments too large")
        value = assignment.call_reference(name, args, kwargs)
        if _elements(value) > MAX_CALL_ELEMENTS:  # e.g. asked for a 3000 x 3000 initialization
            raise Unsupported("result too large")
        return {"op": "return", "value": encode(value)}
    except Exception as exc:  # a bad call fails the student's case, never the grader (MemoryError too)
        return {"op": "raise", "error": f"{type(exc).__name__}: {str(exc)[:200]}"}


def _elements(o):
    if isinstance(o, np.ndarray):
        return o.size
    if isinstance(o, (tuple, list)):
        return sum(_elements(v) for v in o)
    if isinstance(o, dict):
        return sum(_elements(v) for v in o.values())
    return 1


class Unsupported(ValueError):
    """The kernel returned something that is not a plain result."""


_DTYPES = {
    "float64",
    "float32",
    "float16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint64",
    "uint32",
    "uint16",
    "uint8",
    "bool",
}


def decode(o, depth=0):
    """Turn a probe's encoded value back into Python and numpy objects, strictly."""
    if depth > 25:
        raise Unsupported("nesting too deep")
    if isinstance(o, bool) or o is None:
        raise Unsupported(repr(o))
    if isinstance(o, (int, float, str)):
        return o
    if not isinstance(o, dict) or len(o) > 3:
        raise Unsupported(type(o).__name__)
    if "__unsupported__" in o:
        raise Unsupported(str(o["__unsupported__"])[:200])
    if "__nd__" in o:
        dtype, shape, flat = o.get("dtype"), o.get("shape"), o["__nd__"]
        if (
            dtype not in _DTYPES
            or not isinstance(shape, list)
            or not isinstance(flat, list)
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
            or len(shape) > 8
            or int(np.prod(shape)) != len(flat)
            or not all(isinstance(v, (int, float)) for v in flat)
        ):
            raise Unsupported("malformed array")
        array = np.array(flat, dtype=np.float64).reshape(shape)
        return array.astype(np.bool_) if dtype == "bool" else array.astype(dtype)
    if "__scalar__" in o:
        value = o["__scalar__"]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Unsupported("malformed scalar")
        return value
    if "__tuple__" in o and isinstance(o["__tuple__"], list):
        return tuple(decode(v, depth + 1) for v in o["__tuple__"])
    if "__list__" in o and isinstance(o["__list__"], list):
        return [decode(v, depth + 1) for v in o["__list__"]]
    if "__dict__" in o and isinstance(o["__dict__"], list):
        pairs = o["__dict__"]
        if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
            raise Unsupported("malformed dict")
        return {k: decode(v, depth + 1) for k, v in pairs}
    raise Unsupported("unknown encoding")
