"""Hidden-test probes: code the grader sends into a kernel, and the decoding of its answers.

A probe calls one student function (as it was at its test cell) on the
hidden inputs and returns the raw results, encoded as plain JSON.  It
decides nothing: the grading process decodes the results with
:func:`decode`, which accepts only numbers, strings, lists, dicts and
arrays of numbers, and compares them with its own reference values.

The probe's source is the same for every submission (:func:`build`, once per
run); the hidden cases, which differ per submission, travel as data in the
probe request (:func:`encode_cases`; the kernel puts them in the probe's
namespace as ``__cases__``).

A composite exercise (one that calls other exercises' functions) is run
with **callee stubs**: calling one sends its arguments to the grading
process (an :class:`Answerer`), which computes the reference result there
and sends the value back.  No reference source or bytecode ever enters the
kernel, so nothing running there can keep it.  The answerer answers only
calls whose arrays are values it handed to that probe itself (the cases'
inputs, its earlier answers), so a probe is no oracle for anyone's inputs.
"""

import base64
import binascii
import hashlib
import math

import numpy as np

from grader import messages as msg

# Runs inside the student's kernel.  ``__EXERCISE__`` and ``__CALLEES__`` are filled in by
# :func:`build`; ``__cases__`` is a global the kernel gives the probe (the request's cases).
_TEMPLATE = r"""
def __probe__(user_ns, recorded, call):
    import numpy as _np
    from binascii import a2b_base64 as _a2b, b2a_base64 as _b2a
    cases = __cases__
    exercise, callees = __EXERCISE__, __CALLEES__

    def dec(o):
        if isinstance(o, dict):
            if "__b64__" in o:
                raw = _a2b(o["__b64__"])
                return _np.frombuffer(raw, dtype="<f8").reshape(o["shape"]).astype(o["dtype"])
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
            raw = _np.ascontiguousarray(o, dtype="<f8").tobytes()
            return {"__b64__": _b2a(raw, newline=False).decode("ascii"), "dtype": str(o.dtype),
                    "shape": list(o.shape)}
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


# A composite's callee budget per probe: this many times the calls its reference solution
# makes on the same hidden cases, plus a few, at most Limits.callee_calls.  An equivalent
# solution makes as many calls or twice as many (a forward pass computed twice); a buggy loop
# (range(10000) epochs) is cut off after about 200 round trips instead of 1,000 (0.1 s, not 0.5 s).
CALLEE_FACTOR = 4
CALLEE_SLACK = 50


def callee_budget(reference_calls, ceiling):
    """The calls a probe of a composite exercise gets answered (see :data:`CALLEE_FACTOR`)."""
    return min(ceiling, CALLEE_FACTOR * reference_calls + CALLEE_SLACK)


def encode(o):
    """Encode grader-side values (inputs, reference results) in the probe's format.

    An array travels as base64 of its float64 little-endian C-order bytes, with its dtype
    and shape (``{"__b64__", "dtype", "shape"}``): exact, and cheaper to make and to parse
    than a JSON list of numbers.
    """
    if isinstance(o, np.ndarray):
        return {"__b64__": _b64(o), "dtype": str(o.dtype), "shape": list(o.shape)}
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, tuple):
        return {"__tuple__": [encode(v) for v in o]}
    if isinstance(o, list):
        return [encode(v) for v in o]
    if isinstance(o, dict):
        return {k: encode(v) for k, v in o.items()}
    return o


def build(exercise, callees):
    """The probe's source for ``exercise``, whose callee stubs are ``callees``.

    Contains the exercise's and the callees' names only: no hidden input (the
    cases travel in the request, :func:`encode_cases`) and no reference code.
    """
    return _TEMPLATE.replace("__EXERCISE__", repr(exercise)).replace("__CALLEES__", repr(tuple(callees)))


def _b64(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f8").tobytes()).decode("ascii")


def _decode_b64(o):
    """An array sent as ``{"__b64__", "dtype", "shape"}``, checked strictly."""
    dtype, shape, text = o.get("dtype"), o.get("shape"), o["__b64__"]
    if (
        dtype not in _DTYPES
        or not isinstance(shape, list)
        or not isinstance(text, str)
        or len(shape) > 8
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
        or math.prod(shape) * 8 != len(text) // 4 * 3 - text[-2:].count("=")
    ):
        raise Unsupported("malformed array")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Unsupported("malformed array") from None
    if len(raw) != math.prod(shape) * 8:
        raise Unsupported("malformed array")
    array = np.frombuffer(raw, dtype="<f8").reshape(shape)
    return array.astype(np.bool_) if dtype == "bool" else array.astype(dtype)


def encode_cases(cases):
    """The probe request's ``cases``: each ``grader.spec.Case``'s arguments in the probe's format."""
    return [{"args": encode(tuple(c.args)), "kwargs": encode(dict(c.kwargs))} for c in cases]


MAX_CALL_ELEMENTS = 1_000_000  # numbers a callee request, or its result, may carry


def digest(array):
    """An array's value, as the answerer compares it: SHA-256 of its float64 C-order bytes.

    Shape and dtype do not count, so a student's ``copy()``, ``astype(float)``,
    ``reshape`` or transposed-back copy of a handed-out array is the same value.
    """
    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.float64).tobytes()).digest()


def _arrays(value, where):
    """``(where, array)`` for every array in ``value`` (tuples, lists, dicts), depth first."""
    if isinstance(value, np.ndarray):
        yield where, value
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            yield from _arrays(v, f"{where}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _arrays(v, f"{where}[{k!r}]" if len(str(k)) <= 20 else f"{where}[...]")


class Answerer:
    """The grader's replies to the callee stubs of one probe (``on_call`` of ``Kernel.probe``).

    Only the exercise's own callees are answered, on strictly decoded
    arguments of bounded size; the reference runs here and only its result
    is sent back.  A call is answered only when every array among its
    arguments (in tuples, lists and dicts too) equals, by value
    (:func:`digest`), an array this answerer handed to the probe: an input of
    its ``cases`` or an array of an earlier answer.  Numbers and strings are
    free.  The spec's ``open_callees`` of the exercise are answered on any
    arguments.  Make one per probe: what it handed out is that probe's alone.

    Parameters
    ----------
    assignment : grader.course.assignment.Assignment
    exercise : str
        The composite exercise being probed.
    cases : list of grader.spec.Case
        The cases the probe was sent.
    """

    def __init__(self, assignment, exercise, cases):
        self.assignment, self.exercise = assignment, exercise
        self.open = frozenset(getattr(assignment.spec, "open_callees", {}).get(exercise, ()))
        self.handed = set()
        for case in cases:
            self._hand(tuple(case.args))
            self._hand(dict(case.kwargs))

    def _hand(self, value):
        for _, array in _arrays(value, ""):
            self.handed.add(digest(array))

    def foreign(self, args, kwargs):
        """Where the first argument array this probe was not handed sits (``"args[1]['W1']"``), or None."""
        for where, array in (*_arrays(args, "args"), *_arrays(kwargs, "kwargs")):
            if digest(array) not in self.handed:
                return where
        return None

    def __call__(self, message):
        """The reply (``{"op": "return", "value"}`` or ``{"op": "raise", "error"}``) to one ``call``."""
        exercise = self.exercise
        name = message.get("name")
        if name not in self.assignment.spec.callees.get(exercise, ()):
            return {"op": "raise", "error": f"{name!r} is not a function {exercise} uses"}
        try:
            args, kwargs = decode(message.get("args")), decode(message.get("kwargs"))
            if not isinstance(args, tuple) or not isinstance(kwargs, dict):
                raise Unsupported("malformed call")
            if _elements(args) + _elements(kwargs) > MAX_CALL_ELEMENTS:
                raise Unsupported("arguments too large")
            where = None if name in self.open else self.foreign(args, kwargs)
            if where is not None:
                return {"op": "raise", "error": msg.CALLEE_FOREIGN_ARGUMENT.format(name=name, where=where)}
            if _sizes(args, kwargs) > MAX_CALL_ELEMENTS:
                # Refused before the reference runs: an initialization asked for with sizes
                # (3000, 3000, 1) would make the grading worker allocate what it then refuses to
                # send (memory outside every limit of the kernel's).
                raise Unsupported("sizes too large")
            value = self.assignment.call_reference(name, args, kwargs)
            if _elements(value) > MAX_CALL_ELEMENTS:  # a result larger than its sizes said
                raise Unsupported("result too large")
            self._hand(value)
            return {"op": "return", "value": encode(value)}
        except Exception as exc:  # a bad call fails the student's case, never the grader (MemoryError too)
            return {"op": "raise", "error": f"{type(exc).__name__}: {str(exc)[:200]}"}


def _sizes(args, kwargs):
    """The product of a call's positive integer arguments: the most elements they can ask for."""
    product = 1
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            product *= value
            if product > MAX_CALL_ELEMENTS:
                break
    return product


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
    if "__b64__" in o:
        return _decode_b64(o)
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
