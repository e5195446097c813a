"""An atomicity fuzzer: bad arguments are refused cleanly, and a refused call changes nothing.

casekit's rule for every public constructor and mutating method is "validate at the door":
check every argument before changing anything, and refuse bad input with a
[`CasekitError`][] (never a bare ``TypeError`` or ``KeyError``).
[`fuzz`][] checks that rule on any object, yours included.

For each method it starts from one call you say is valid (``good_args``), then replaces one
argument at a time with a probe derived from the parameter's type hint: wrong types,
``None``, blank and hostile strings (NUL, a lone surrogate, ``=HYPERLINK(...)``, quotes,
non-ASCII, very long), NaN and infinite floats and Decimals, naive datetimes, huge and
negative integers, unknown enum values, collections of bad elements and duplicated
elements; it also repeats the valid call on the same object (a duplicate id). Each call runs
on a fresh object from your ``factory``; the call must either succeed or raise a
``CasekitError`` with the object's observable state exactly as before.

Example: fuzz your own case type from a plain pytest test::

    from casekit.testing import Call, fuzz

    def test_my_case_validates_at_the_door():
        report = fuzz(
            lambda: MyCase.create(owner=Owner.user("ana"), clock=clock),
            methods=["add_note", "set_priority"],
            good_args={
                "add_note": Call("called the client", author="ana"),
                "set_priority": Call(Priority.HIGH, actor="ana"),
            },
        )
        report.assert_clean()

The [`FuzzReport`][] counts the calls tried, refused cleanly and accepted, and lists the
failures: a bare (non-``CasekitError``) exception with the innermost frames, or a refusal
that left the object half-changed, with the state paths that changed. The observable state is
a deep structural [`snapshot`][] of the object by default; pass ``state=`` to compare
something else (a case's stored record, say). Functions and constructors are fuzzed as
[`Operation`][] s. In a suite, keep one [`FuzzTarget`][] per object kind in a list and
parametrize a test over it.

The run is deterministic (``seed``), bounded (``max_calls``) and takes seconds per class.
"""

from __future__ import annotations

import collections.abc
import contextlib
import enum
import inspect
import itertools
import math
import random
import signal
import sys
import threading
import traceback
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

import attrs

from casekit.checks import check_callable, check_int
from casekit.errors import CasekitError, ValidationError

__all__ = [
    "HOSTILE_STRINGS",
    "READ_PREFIXES",
    "Call",
    "FuzzFailure",
    "FuzzReport",
    "FuzzTarget",
    "Operation",
    "Probe",
    "constructor",
    "fuzz",
    "mutating_methods",
    "probes_for",
    "snapshot",
    "state_diff",
]

T = TypeVar("T")

READ_PREFIXES = (
    "allowed",
    "as_",
    "available",
    "can_",
    "check_",
    "count",
    "describe",
    "explain",
    "find",
    "for_",
    "get",
    "has_",
    "is_",
    "iter",
    "keys",
    "last_",
    "list",
    "matches",
    "next_",
    "query",
    "render",
    "reveal",
    "to_",
    "values",
    "with_",
    "without",
)
"""Name prefixes [`mutating_methods`][] treats as reads and leaves out by default."""

HOSTILE_STRINGS: tuple[tuple[str, str], ...] = (
    ("empty string", ""),
    ("blank string", "   "),
    ("NUL character", "a\x00b"),
    ("lone surrogate", "\ud800"),
    ("spreadsheet formula", '=HYPERLINK("http://evil.invalid","click")'),
    ("leading plus", "+1+1"),
    ("leading minus", "-1+1"),
    ("leading at", "@SUM(A1)"),
    ("leading tab", "\tx"),
    ("carriage return", "\rx"),
    ("quotes", 'O\'Brien "quoted"'),
    ("non-ASCII", "Zoë Ünal 名前 🙂"),
    ("newline", "line one\nline two"),
    ("unknown id", "no-such-id-0"),
    ("very long string", "x" * 100_000),
)
"""The hostile strings every ``str`` parameter is probed with, by label."""


@attrs.frozen(init=False)
class Call:
    """The arguments of one call: ``Call("c1", worker_id="w1")``.

    Args:
        *args: Positional arguments.
        **kwargs: Keyword arguments.
    """

    args: tuple[object, ...]
    kwargs: Mapping[str, object]

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.__attrs_init__(args, dict(kwargs))

    def __repr__(self) -> str:
        parts = [_short(a) for a in self.args] + [
            f"{k}={_short(v)}" for k, v in self.kwargs.items()
        ]
        return f"Call({', '.join(parts)})"


_GoodArgs = Call | Callable[[Any], Call]


@attrs.frozen
class Probe:
    """One argument value to try, with a label for the report.

    Attributes:
        label: What the value is, for the report (``"lone surrogate"``).
        value: The value.
        unstorable: No state should keep it (NUL, a lone surrogate, NaN, an infinity, a
            naive datetime): accepted into the state, it is reported as suspect.
    """

    label: str
    value: object
    unstorable: bool = False


@attrs.frozen
class FuzzFailure:
    """One call that broke the rule.

    Attributes:
        target: The fuzz target's name.
        method: The method called.
        parameter: The parameter probed (``"(repeat)"`` for a repeated valid call).
        probe: The probe's label and value, shortened.
        kind: ``"bare error"`` (not a ``CasekitError``), ``"half-changed"`` (refused, but
            the state changed), ``"unreadable state"`` (the ``state`` function failed after
            the call: it left a value that cannot be read back, e.g. stored), ``"timeout"``
            or ``"setup"`` (the valid call itself, or ``state`` on a fresh object, failed).
        error: The exception's type and message, shortened.
        where: The innermost frames of the traceback, one line each.
        diff: The state paths that changed, ``path: before -> after``.
    """

    target: str
    method: str
    parameter: str
    probe: str
    kind: str
    error: str = ""
    where: tuple[str, ...] = ()
    diff: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [f"{self.kind}: {self.target}.{self.method}({self.parameter}={self.probe})"]
        if self.error:
            lines.append(f"    raised {self.error}")
        lines.extend(f"    at {frame}" for frame in self.where)
        lines.extend(f"    changed {change}" for change in self.diff)
        return "\n".join(lines)


@attrs.define
class FuzzReport:
    """What a fuzz run tried and found.

    Attributes:
        target: The name of what was fuzzed.
        tried: Calls made (probes and repeated valid calls; not the valid calls themselves).
        refused: Calls refused cleanly (a ``CasekitError``, state unchanged).
        accepted: Calls that succeeded.
        failures: Calls that broke the rule.
        suspect: Calls worth a look, not failures of atomicity: an accepted probe that does
            not match the parameter's type hint (``"yes"`` for a ``bool``), an accepted
            unstorable probe (NUL, lone surrogate, NaN, infinity, naive datetime) that reached
            the state, or a clean refusal whose message is (nearly) empty.
        skipped: Methods not fuzzed, with why (no valid arguments given).
    """

    target: str
    tried: int = 0
    refused: int = 0
    accepted: int = 0
    failures: list[FuzzFailure] = attrs.Factory(list)
    suspect: list[str] = attrs.Factory(list)
    skipped: list[str] = attrs.Factory(list)

    @property
    def clean(self) -> bool:
        """Whether no call broke the rule."""
        return not self.failures

    def summary(self) -> str:
        """One line: ``Caseload: 412 calls, 380 refused cleanly, 32 accepted, 0 failures``."""
        line = (
            f"{self.target}: {self.tried} calls, {self.refused} refused cleanly, "
            f"{self.accepted} accepted, {len(self.failures)} failures"
        )
        if self.suspect:
            line += f", {len(self.suspect)} suspect acceptances"
        if self.skipped:
            line += f", {len(self.skipped)} methods skipped"
        return line

    def __str__(self) -> str:
        lines = [self.summary()]
        lines.extend(str(f) for f in self.failures)
        lines.extend(f"suspect: {m}" for m in self.suspect)
        lines.extend(f"skipped: {s}" for s in self.skipped)
        return "\n".join(lines)

    def assert_clean(self, *, allow_suspect: bool = True) -> None:
        """Raise ``AssertionError`` listing every failure (and suspect acceptance if asked).

        Args:
            allow_suspect: When false, a suspect acceptance (see `suspect`) also
                fails.

        Raises:
            AssertionError: The run found failures.
        """
        if self.failures or (self.suspect and not allow_suspect):
            raise AssertionError(str(self))


@attrs.frozen
class FuzzTarget(Generic[T]):
    """What to fuzz: a factory of fresh objects, the methods and their valid arguments.

    Attributes:
        name: For the report.
        factory: Makes a fresh object (called once per fuzzed call).
        methods: Method names, or a mapping of names to operations: an [`Operation`][]
            (a constructor, or a function such as ``document(case, ...)``), or any callable
            called as ``operation(obj, *args, **kwargs)`` whose parameters after the first
            are fuzzed. ``None``: every public method
            that is not a read ([`mutating_methods`][]).
        good_args: Per method, a valid call ([`Call`][], or a function of the fresh object
            returning one). A method without one is fuzzed only if it takes no required
            argument.
        exclude: Method names to leave out.
        state: Returns the observable state of an object; default [`snapshot`][].
    """

    name: str
    factory: Callable[[], T]
    methods: Sequence[str] | Mapping[str, Callable[..., object]] | None = None
    good_args: Mapping[str, Call | Callable[[T], Call]] = attrs.Factory(dict)
    exclude: Sequence[str] = ()
    state: Callable[[T], object] | None = None

    def run(self, *, seed: int = 0, max_calls: int = 120, timeout: float = 2.0) -> FuzzReport:
        """Fuzz this target (see [`fuzz`][])."""
        return fuzz(
            self.factory,
            methods=self.methods,
            good_args=self.good_args,
            exclude=self.exclude,
            state=self.state,
            name=self.name,
            seed=seed,
            max_calls=max_calls,
            timeout=timeout,
        )


# ------------------------------------------------------------------------------- the run


def fuzz(
    factory: Callable[[], T],
    *,
    methods: Sequence[str] | Mapping[str, Callable[..., object]] | None = None,
    good_args: Mapping[str, Call | Callable[[T], Call]] | None = None,
    exclude: Sequence[str] = (),
    state: Callable[[T], object] | None = None,
    name: str | None = None,
    seed: int = 0,
    max_calls: int = 120,
    timeout: float = 2.0,
) -> FuzzReport:
    """Call each method with one bad argument at a time; check it succeeds or refuses cleanly.

    Args:
        factory: Makes a fresh object; called before every call.
        methods: Method names, or a mapping name → operation (an [`Operation`][], or
            any ``operation(obj, *args, **kwargs)``); default [`mutating_methods`][] of the
            first object.
        good_args: Per method, a valid [`Call`][] (or a function of the object returning
            one); the other arguments keep these values while one is probed.
        exclude: Method names to leave out.
        state: The object's observable state (compared with ``==`` after [`snapshot`][]);
            default [`snapshot`][] of the whole object graph.
        name: The report's name; default the object's class name.
        seed: Chooses which probes run when there are more than ``max_calls``.
        max_calls: Probed calls per method at most.
        timeout: Seconds a call may take before it is reported (main thread on Unix only).

    Returns:
        The [`FuzzReport`][]; call [`FuzzReport.assert_clean`][] in a test.

    Raises:
        ValidationError: A setting that cannot work: ``factory`` or ``state`` not callable, a
            method the object does not have, ``good_args`` for a method it does not have (a
            typo would silently skip it), a negative ``max_calls`` or ``timeout``.
    """
    check_callable(factory, what="fuzz factory")
    if state is not None:
        check_callable(state, what="fuzz state")
    check_int(seed, what="fuzz seed")
    check_int(max_calls, what="fuzz max_calls", minimum=0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0:
        raise ValidationError(f"fuzz timeout must be a number of seconds >= 0, got {timeout!r}")
    sample = factory()
    observe: Callable[[Any], object] = state if state is not None else _identity
    operations = _operations(sample, methods, exclude)
    report = FuzzReport(name or type(sample).__name__)
    valid = dict(good_args or {})
    known = set(methods) if isinstance(methods, Mapping) else set(dir(sample))
    unknown = sorted(k for k in valid if k not in known)
    if unknown:
        raise ValidationError(
            f"good_args names {', '.join(map(repr, unknown))}, which is not a method to fuzz "
            f"(a typo would skip it); fuzzed: {', '.join(operations) or 'none'}"
        )
    run = _Run(report, factory, observe, max_calls, timeout, seed)
    for method, operation in operations.items():
        run.method(method, operation, valid.get(method))
    return report


def _identity(obj: object) -> object:
    return obj


_Operation = Callable[..., object]
_Bound = tuple[_Operation, inspect.Signature, dict[str, object]]


def _operations(
    sample: object,
    methods: Sequence[str] | Mapping[str, Callable[..., object]] | None,
    exclude: Sequence[str],
) -> dict[str, _Bound]:
    if isinstance(methods, Mapping):
        chosen = {n: op for n, op in methods.items() if n not in exclude}
        result = {}
        for n, op in chosen.items():
            if isinstance(op, Operation):
                sig, hints = op.signature(sample)
            else:
                sig, hints = _signature(op, drop_first=True)
            result[n] = (op, sig, hints)
        return result
    if methods is not None and (isinstance(methods, str) or not isinstance(methods, Sequence)):
        raise ValidationError(f"fuzz methods must be a list of names or a mapping, got {methods!r}")
    names = mutating_methods(sample) if methods is None else list(methods)
    result = {}
    for n in names:
        if n in exclude:
            continue
        bound = getattr(sample, n, None) if isinstance(n, str) else None
        if not callable(bound):
            raise ValidationError(
                f"{type(sample).__name__} has no method {n!r} to fuzz; its public methods: "
                f"{', '.join(m for m in dir(sample) if not m.startswith('_')) or 'none'}"
            )
        sig, hints = _signature(bound, drop_first=False)

        def call_method(obj: object, *args: object, _n: str = n, **kwargs: object) -> object:
            return getattr(obj, _n)(*args, **kwargs)

        result[n] = (call_method, sig, hints)
    return result


def mutating_methods(obj: object) -> list[str]:
    """The public methods of ``obj`` that are not reads, sorted.

    Public: not starting with ``_``; not a property, classmethod or staticmethod; a read:
    a name starting with one of [`READ_PREFIXES`][].
    """
    names = []
    for n in dir(type(obj)):
        if n.startswith("_") or n.startswith(READ_PREFIXES):
            continue
        raw = inspect.getattr_static(type(obj), n)
        if isinstance(raw, property | classmethod | staticmethod) or not callable(raw):
            continue
        names.append(n)
    return sorted(names)


def _no_prefix(subject: object) -> tuple[object, ...]:
    return ()


def _no_fixed(subject: object) -> Mapping[str, object]:
    return {}


@attrs.frozen
class Operation(Generic[T]):
    """A function fuzzed as if it were a method of the fresh object.

    The call is ``func(*prefix(obj), *fuzzed_args, **fixed(obj), **fuzzed_kwargs)``; the
    parameters ``prefix`` and ``fixed`` fill are not fuzzed, the others are, from ``func``'s
    own signature and type hints. Examples::

        Operation(SlaPolicy)                               # a constructor
        Operation(plan_daily_contacts)                      # a function of its arguments
        Operation(document, prefix=lambda s: (s.case, TAXONOMY), fixed=lambda s: {"vault": s.vault})

    Attributes:
        func: The function, class or bound method.
        prefix: The leading positional arguments, from the fresh object.
        fixed: Keyword arguments, from the fresh object.
    """

    func: Callable[..., object]
    prefix: Callable[[T], tuple[object, ...]] = _no_prefix
    fixed: Callable[[T], Mapping[str, object]] = _no_fixed

    def __call__(self, subject: T, /, *args: object, **kwargs: object) -> object:
        """Call ``func`` on behalf of ``subject``."""
        return self.func(*self.prefix(subject), *args, **self.fixed(subject), **kwargs)

    def signature(self, sample: T) -> tuple[inspect.Signature, dict[str, object]]:
        """The fuzzed parameters (those ``prefix`` and ``fixed`` leave) and their hints."""
        sig = inspect.signature(self.func)
        skip = len(self.prefix(sample))
        fixed = set(self.fixed(sample))
        params = [
            p for n, p in enumerate(sig.parameters.values()) if n >= skip and p.name not in fixed
        ]
        sig = sig.replace(parameters=params)
        return sig, _hints(self.func, sig)


def constructor(cls: type[object]) -> Operation[object]:
    """An [`Operation`][] that builds ``cls`` from the fuzzed arguments.

    Use it in ``methods``: ``methods={"SlaPolicy": constructor(SlaPolicy)}``; the object the
    factory makes is not involved, so only clean refusal is checked.
    """
    return Operation(cls)


def _signature(
    func: Callable[..., object], *, drop_first: bool
) -> tuple[inspect.Signature, dict[str, object]]:
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    if drop_first and params:
        params = params[1:]
    sig = sig.replace(parameters=params)
    return sig, _hints(func, sig)


def _hints(func: Callable[..., object], sig: inspect.Signature) -> dict[str, object]:
    """The parameters' type hints; a name that cannot be resolved is probed as ``Any``."""
    target: Any = func
    namespace: dict[str, Any] = dict(getattr(func, "__globals__", {}))
    if isinstance(func, type):
        # attrs writes __init__ outside the class's module: resolve in the class's module.
        target = func.__init__  # type: ignore[misc]
        module = sys.modules.get(func.__module__)
        namespace = {**getattr(target, "__globals__", {}), **(vars(module) if module else {})}
    try:
        return dict(typing.get_type_hints(target, globalns=namespace))
    except Exception:
        pass
    hints: dict[str, object] = {}
    raw = getattr(target, "__annotations__", {})
    for name in sig.parameters:
        annotation = raw.get(name, Any)
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)  # our own annotations, not user data
            except Exception:  # unresolvable: probe it as Any
                annotation = Any
        hints[name] = annotation
    return hints


@attrs.define
class _Run:
    """One fuzz run: the report it fills and the knobs every call shares."""

    report: FuzzReport
    factory: Callable[[], Any]
    observe: Callable[[Any], object]
    max_calls: int
    timeout: float
    seed: int

    def method(self, method: str, operation: _Bound, good: _GoodArgs | None) -> None:
        """Fuzz one method: the valid call, its repeat, then one probe per call."""
        call, sig, hints = operation
        if good is None:
            required = [
                p.name
                for p in sig.parameters.values()
                if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            ]
            if required:
                self.report.skipped.append(f"{method}: no good_args for {', '.join(required)}")
                return
            good = Call()
        valid = good

        def fresh() -> tuple[Any, inspect.BoundArguments]:
            obj = self.factory()
            given = valid if isinstance(valid, Call) else valid(obj)
            return obj, sig.bind(*given.args, **given.kwargs)

        try:
            obj, bound = fresh()
        except TypeError as e:
            self._fail(method, "(good args)", "", "setup", e)
            return
        # The valid call must succeed; repeating it must succeed or refuse cleanly.
        outcome = _attempt(call, obj, bound, self.timeout)
        if outcome.error is not None or outcome.timed_out:
            self._fail(method, "(good args)", repr(bound), "setup", outcome.error)
            return
        self.judge(method, "(repeat)", Probe("the valid call again", None), None, call, obj, bound)
        rng = random.Random(f"{self.seed}:{method}")
        for param, probe in _plan(sig, hints, bound, rng, self.max_calls):
            obj, bound = fresh()
            kind = sig.parameters[param].kind
            if kind is inspect.Parameter.VAR_POSITIONAL:
                bound.arguments[param] = (probe.value,)
            elif kind is inspect.Parameter.VAR_KEYWORD:
                extra = typing.cast(dict[str, object], probe.value)
                bound.arguments[param] = {**bound.arguments.get(param, {}), **extra}
            else:
                bound.arguments[param] = probe.value
            self.judge(method, param, probe, hints.get(param, Any), call, obj, bound)

    def judge(  # noqa: PLR0917  private; every argument is one fact about the call
        self,
        method: str,
        param: str,
        probe: Probe,
        hint: object,
        call: _Operation,
        obj: object,
        bound: inspect.BoundArguments,
    ) -> None:
        """Make one call on ``obj`` and count or record what happened."""
        shown = probe.label if param == "(repeat)" else f"{probe.label}: {_short(probe.value)}"
        try:
            before = snapshot(self.observe(obj))
        except Exception as broken:  # the user's state function fails on a fresh object
            self._fail(method, param, shown, "setup", broken)
            return
        outcome = _attempt(call, obj, bound, self.timeout)
        self.report.tried += 1
        if outcome.timed_out:
            self.report.failures.append(
                FuzzFailure(
                    self.report.target, method, param, shown, "timeout", f"over {self.timeout} s"
                )
            )
            return
        error = outcome.error
        try:
            after = snapshot(self.observe(obj))
        except Exception as broken:  # the call left a value the state function cannot read
            self._fail(method, param, shown, "unreadable state", broken, cause=error)
            return
        if error is None:
            self.report.accepted += 1
            if param == "(repeat)":
                return
            if _conforms(probe.value, hint) is False:
                self.report.suspect.append(f"{method}({param}={shown}) for {_hint_name(hint)}")
            elif probe.unstorable and _kept(probe.value, before, after):
                self.report.suspect.append(f"{method}({param}={shown}) kept in the state")
            return
        diff = state_diff(before, after)
        if isinstance(error, CasekitError) and not diff:
            self.report.refused += 1
            if len(str(error).strip()) < _SHORTEST_MESSAGE:
                self.report.suspect.append(
                    f"{method}({param}={shown}) refused with a message that says nothing: "
                    f"{type(error).__name__}({str(error)!r})"
                )
            return
        kind = "half-changed" if isinstance(error, CasekitError) else "bare error"
        self._fail(method, param, shown, kind, error, diff=diff)

    def _fail(
        self,
        method: str,
        param: str,
        shown: str,
        kind: str,
        error: BaseException | None,
        *,
        diff: Sequence[str] = (),
        cause: BaseException | None = None,
    ) -> None:
        message = _error(error) if error is not None else ""
        if cause is not None:
            message += f" (after the call raised {_error(cause)})"
        self.report.failures.append(
            FuzzFailure(
                self.report.target,
                method,
                param,
                shown,
                kind,
                message,
                _where(error) if error is not None else (),
                tuple(diff),
            )
        )


def _plan(
    sig: inspect.Signature,
    hints: Mapping[str, object],
    bound: inspect.BoundArguments,
    rng: random.Random,
    max_calls: int,
) -> list[tuple[str, Probe]]:
    """Probes per parameter, shuffled, then taken round-robin up to ``max_calls``."""
    queues: list[list[tuple[str, Probe]]] = []
    for name, param in sig.parameters.items():
        if param.kind is param.VAR_KEYWORD:
            probes = [Probe("unknown keyword", {"no_such_parameter": "x"})]
        else:
            good = bound.arguments.get(name, param.default)
            if param.kind is param.VAR_POSITIONAL:
                good = good[0] if good else param.empty
            probes = probes_for(hints.get(name, Any), good=good)
        queue = [(name, p) for p in probes]
        rng.shuffle(queue)
        queues.append(queue)
    rounds = itertools.zip_longest(*queues)
    plan = [pair for round_ in rounds for pair in round_ if pair is not None]
    return plan[:max_calls]


@attrs.frozen
class _Outcome:
    error: BaseException | None
    timed_out: bool = False


class _Timeout(Exception):
    """Raised inside a call that took too long; caught by `_attempt`."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _attempt(
    call: _Operation, obj: object, bound: inspect.BoundArguments, timeout: float
) -> _Outcome:
    try:
        with _deadline(timeout):
            result = call(obj, *bound.args, **bound.kwargs)
            if isinstance(result, types.GeneratorType):
                collections.deque(result, maxlen=0)  # run a generator's (lazy) checks
    except _Timeout:
        return _Outcome(None, timed_out=True)
    except Exception as e:  # judged by the caller
        return _Outcome(e)
    return _Outcome(None)


_SHORTEST_MESSAGE = 10
"""A refusal's message shorter than this cannot name the object, the value and the fix."""


def _kept(value: object, before: Mapping[str, str], after: Mapping[str, str]) -> bool:
    """Whether ``value`` shows in a leaf of ``after`` that is new or changed."""
    mark = repr(value)[1:-1] if isinstance(value, str) else repr(value)
    return any(mark in leaf for path, leaf in after.items() if before.get(path) != leaf)


def _error(error: BaseException) -> str:
    return f"{type(error).__name__}: {_short(str(error), 160, raw=True)}"


def _where(error: BaseException) -> tuple[str, ...]:
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    return tuple(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}: {f.line}" for f in frames)


def _short(value: object, limit: int = 60, *, raw: bool = False) -> str:
    try:
        text = value if raw and isinstance(value, str) else repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


# ------------------------------------------------------------------------------ probes


class _Stranger:
    """An object of no type anything expects."""

    def __repr__(self) -> str:
        return "<stranger>"


class _Other(enum.Enum):
    MEMBER = "member of another enum"


_NAIVE = datetime(2026, 1, 1, 9, 0)
_GENERAL = (
    Probe("None", None),
    Probe("an object of no known type", _Stranger()),
    Probe("a string", "x"),
    Probe("an int", 0),
    Probe("a float", 1.5),
    Probe("a list", ["x"]),
)


def probes_for(hint: object, *, good: object = inspect.Parameter.empty) -> list[Probe]:
    """The probes for a parameter of type ``hint`` whose valid value is ``good``.

    Wrong types and ``None`` for every parameter, plus values of the right type that are
    wrong in content (see the module docstring). Probes equal to ``good`` are left out.
    """
    probes = list(_GENERAL) + _typed(hint, good)
    seen: set[tuple[type, str]] = set()
    unique = []
    for probe in probes:
        key = (type(probe.value), _short(probe.value, 200))
        if key in seen or _same(probe.value, good):
            continue
        seen.add(key)
        unique.append(probe)
    return unique


def _same(value: object, good: object) -> bool:
    try:
        return type(value) is type(good) and bool(value == good)
    except Exception:
        return False


def _typed(hint: object, good: object) -> list[Probe]:  # noqa: PLR0911, PLR0912  one branch per kind
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return _typed(args[0], good)
    if origin in (typing.Union, types.UnionType):
        return [p for member in args for p in _typed(member, good)]
    if origin is typing.Literal:
        return [Probe("not one of the literals", "not-a-literal-value")]
    if hint is Any or hint is object:
        return [*_strings(), *_numbers(), *_datetimes()[:2], Probe("a timedelta", timedelta(-1))]
    if origin is not None and isinstance(origin, type):
        if issubclass(origin, collections.abc.Mapping):
            return _mappings(args, good)
        if issubclass(origin, collections.abc.Callable):  # type: ignore[arg-type]
            return [Probe("not callable", 42)]
        if issubclass(origin, collections.abc.Iterable) and not issubclass(origin, str):
            return _collections(args, good)
        return []
    if not isinstance(hint, type):
        return []
    if hint is bool:
        return [
            Probe("truthy string", "yes"),
            Probe("string 'false'", "false"),
            Probe("int 1", 1),
            Probe("int 0", 0),
        ]
    if issubclass(hint, enum.Enum):
        return [
            Probe("not a member's value", "not-a-member"),
            Probe("a member of another enum", _Other.MEMBER),
            Probe("an int", 99),
        ]
    if hint is str:
        return _strings()
    if hint is int:
        return _ints()
    if hint is float:
        return _floats()
    if hint is Decimal:
        return _decimals()
    if hint is datetime:
        return _datetimes()
    if hint is date:
        return [
            Probe("a datetime", datetime(2026, 1, 1, tzinfo=UTC)),
            Probe("ISO string", "2026-01-01"),
            Probe("the earliest date", date.min),
            Probe("the latest date", date.max),
        ]
    if hint is timedelta:
        return [
            Probe("negative", timedelta(days=-1)),
            Probe("zero", timedelta(0)),
            Probe("huge", timedelta.max),
            Probe("seconds as int", 60),
        ]
    if hint is time:
        return [Probe("aware time", time(9, tzinfo=UTC)), Probe("string", "09:00")]
    if issubclass(hint, collections.abc.Mapping):
        return _mappings((), good)
    if issubclass(hint, tuple | list | set | frozenset):
        return _collections((), good)
    return _lookalikes(hint, good)


_UNSTORABLE_STRINGS = frozenset({"a\x00b", "\ud800"})


def _strings() -> list[Probe]:
    probes = [Probe(label, v, v in _UNSTORABLE_STRINGS) for label, v in HOSTILE_STRINGS]
    return [*probes, Probe("bytes", b"x")]


def _ints() -> list[Probe]:
    return [
        Probe("bool", True),
        Probe("negative", -1),
        Probe("zero", 0),
        Probe("huge", 10**100),
        Probe("huge negative", -(10**100)),
        Probe("float", 1.0),
        Probe("numeric string", "3"),
    ]


def _floats() -> list[Probe]:
    return [
        Probe("NaN", math.nan, unstorable=True),
        Probe("infinity", math.inf, unstorable=True),
        Probe("minus infinity", -math.inf, unstorable=True),
        Probe("negative zero", -0.0),
        Probe("huge", 1e308),
        Probe("numeric string", "1.5"),
    ]


def _numbers() -> list[Probe]:
    return _ints()[:5] + _floats()[:3] + _decimals()[:4]


def _decimals() -> list[Probe]:
    return [
        Probe("Decimal NaN", Decimal("NaN"), unstorable=True),
        Probe("Decimal sNaN", Decimal("sNaN"), unstorable=True),
        Probe("Decimal infinity", Decimal("Infinity"), unstorable=True),
        Probe("Decimal minus infinity", Decimal("-Infinity"), unstorable=True),
        Probe("Decimal huge exponent", Decimal("1e999999")),
        Probe("negative", Decimal("-1")),
        Probe("float", 0.1),
        Probe("float NaN", math.nan),
        Probe("non-numeric string", "twelve"),
    ]


def _datetimes() -> list[Probe]:
    return [
        Probe("naive datetime", _NAIVE, unstorable=True),
        Probe("a date", date(2026, 1, 1)),
        Probe("ISO string", "2026-01-01T09:00:00+00:00"),
        Probe("the earliest datetime", datetime.min.replace(tzinfo=UTC)),
        Probe("the latest datetime", datetime.max.replace(tzinfo=UTC)),
        Probe("a POSIX timestamp", 1_767_258_000),
    ]


_BAD_VALUES = (
    Probe("None", None),
    Probe("blank string", "   "),
    Probe("an int", 0),
    Probe("NUL character", "a\x00b"),
)


def _mappings(args: tuple[object, ...], good: object) -> list[Probe]:
    value_probes = _typed(args[1], inspect.Parameter.empty)[:4] if len(args) == 2 else []
    probes = [
        Probe("empty mapping", {}),
        Probe("blank key", {"": "x"}),
        Probe("int key", {1: "x"}),
        Probe("NaN value", {"k": math.nan}),
        Probe("a list of pairs", [("k", "v")]),
        *(Probe(f"mapping with {p.label}", {"k": p.value}) for p in value_probes),
    ]
    if isinstance(good, Mapping) and good:
        # The valid mapping with one entry spoiled: later entries must not be acted on first.
        probes.append(Probe("the valid mapping plus an unknown key", {**good, "no-such-key": "x"}))
        for key in itertools.islice(good, 8):
            probes.extend(
                Probe(f"the valid mapping with {key!r} {bad.label}", {**good, key: bad.value})
                for bad in _BAD_VALUES
            )
    return probes


def _collections(args: tuple[object, ...], good: object) -> list[Probe]:
    element = args[0] if args else Any
    probes = [
        Probe("empty list", []),
        Probe("a bare string for a collection", "abc"),
        Probe("a list holding None", [None]),
        Probe("a generator", (c for c in "ab")),
    ]
    probes += [Probe(f"a list holding {p.label}", [p.value]) for p in _typed(element, None)[:8]]
    if isinstance(good, list | tuple) and good:
        probes.append(Probe("duplicated elements", type(good)([*good, *good])))
    return probes


def _lookalikes(hint: type, good: object) -> list[Probe]:
    """A value that quacks like ``good`` (same attributes) but is not a ``hint``."""
    if attrs.has(type(good)):
        fields = {a.name: getattr(good, a.name) for a in attrs.fields(typing.cast(Any, type(good)))}
        return [Probe(f"a look-alike of {hint.__name__}", types.SimpleNamespace(**fields))]
    return []


# ---------------------------------------------------------------- type conformance


def _conforms(value: object, hint: object) -> bool | None:  # noqa: PLR0911, PLR0912  one return per kind
    """Whether ``value`` matches ``hint``: True, False, or None when it cannot tell."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any or hint is object:
        return True
    if hint is None or hint is type(None):
        return value is None
    if origin is typing.Annotated:
        return _conforms(value, args[0])
    if origin in (typing.Union, types.UnionType):
        verdicts = [_conforms(value, a) for a in args]
        if any(v is True for v in verdicts):
            return True
        return False if all(v is False for v in verdicts) else None
    if origin is typing.Literal:
        return value in args
    if origin is not None and isinstance(origin, type):
        if origin is typing.cast(object, collections.abc.Callable):
            return callable(value)
        return isinstance(value, origin) or None
    if not isinstance(hint, type):
        return None
    if hint is bool:
        return type(value) is bool
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is Decimal:  # an int is an exact Decimal
        return isinstance(value, int | Decimal) and not isinstance(value, bool)
    if getattr(hint, "_is_protocol", False):
        return None
    return isinstance(value, hint)


def _hint_name(hint: object) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


# --------------------------------------------------------------------------- state


_LEAVES = (str, bytes, int, float, Decimal, date, time, timedelta, enum.Enum, type(None), complex)


def snapshot(obj: object, *, limit: int = 200_000) -> dict[str, str]:
    """A deep structural snapshot of ``obj``: ``{path: repr of the leaf}``.

    Walks attrs fields, ``__dict__`` and ``__slots__`` (private ones included), mappings
    (keyed by the key's repr, so order does not matter), sets (by member repr) and
    sequences (by index); functions, classes, modules, loggers and locks are leaves named by
    their type. A cycle is recorded as a pointer to the path first seen. Two snapshots are
    equal exactly when everything reachable is.

    Args:
        obj: The object (or a user's ``state(obj)`` result).
        limit: Stop after this many nodes (the last path says so).
    """
    out: dict[str, str] = {}
    _walk(obj, "$", out, {}, [limit])
    return out


def _walk(  # noqa: PLR0912  one branch per kind of node
    obj: object, path: str, out: dict[str, str], active: dict[int, str], budget: list[int]
) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        out[path] = "<snapshot limit reached>"
        return
    if isinstance(obj, _LEAVES):
        out[path] = f"{type(obj).__name__}:{obj!r}"
        return
    if isinstance(
        obj,
        type | types.FunctionType | types.BuiltinFunctionType | types.ModuleType | types.MethodType,
    ) or (callable(obj) and not hasattr(obj, "__dict__") and not hasattr(type(obj), "__slots__")):
        out[path] = f"<{type(obj).__name__} {getattr(obj, '__qualname__', '')}>"
        return
    if type(obj).__module__ in ("logging", "_thread", "threading", "zoneinfo", "_io", "io"):
        out[path] = f"<{type(obj).__name__} {obj!r}>"
        return
    key = id(obj)
    if key in active:
        out[path] = f"<cycle to {active[key]}>"
        return
    active[key] = path
    try:
        out[path] = f"<{type(obj).__name__}>"
        if isinstance(obj, collections.abc.Mapping):
            for k in obj:
                _walk(obj[k], f"{path}[{_short(k, 120)}]", out, active, budget)
        elif isinstance(obj, collections.abc.Set):
            for member in obj:
                _walk(member, f"{path}{{{_short(member, 120)}}}", out, active, budget)
        elif isinstance(obj, collections.abc.Sequence):
            for n, item in enumerate(obj):
                _walk(item, f"{path}[{n}]", out, active, budget)
        elif isinstance(obj, types.GeneratorType | collections.abc.Iterator):
            out[path] = f"<{type(obj).__name__} at {id(obj):#x}>"
        else:
            for name, value in _fields(obj):
                _walk(value, f"{path}.{name}", out, active, budget)
    finally:
        del active[key]


def _fields(obj: object) -> Iterator[tuple[str, object]]:
    seen: set[str] = set()
    if attrs.has(type(obj)):
        for field in attrs.fields(typing.cast(Any, type(obj))):
            seen.add(field.name)
            yield field.name, getattr(obj, field.name, "<unset>")
    for cls in type(obj).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name in seen or name in ("__dict__", "__weakref__"):
                continue
            seen.add(name)
            yield name, getattr(obj, name, "<unset>")
    for name, value in sorted(getattr(obj, "__dict__", {}).items()):
        if name not in seen:
            yield name, value


def state_diff(before: Mapping[str, str], after: Mapping[str, str], *, limit: int = 8) -> list[str]:
    """The paths that differ between two snapshots, as ``path: before -> after``.

    Args:
        before: A [`snapshot`][].
        after: Another.
        limit: Show at most this many changes (and how many more there were).
    """
    changes = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path, "<absent>"), after.get(path, "<absent>")
        if old != new:
            changes.append(f"{path}: {_short(old, 80, raw=True)} -> {_short(new, 80, raw=True)}")
    if len(changes) > limit:
        changes = [*changes[:limit], f"... and {len(changes) - limit} more"]
    return changes
