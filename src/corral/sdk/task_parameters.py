"""Typed task parameters declared as a class (ClearML's ``clearml.task_parameters``).

A subclass of :class:`TaskParameters` declares its parameters as class attributes made
with :func:`param`; the class becomes an `attrs <https://www.attrs.org>`_ class, so it
gets an ``__init__`` taking the parameters as arguments, a ``repr`` and equality.
Validators (a type, a range, any ``attrs`` validator) run when an instance is made and
whenever a parameter is set - also when ``task.connect`` under an agent sets the values
stored on the task - so a value out of range is a ``ValueError`` (a wrong type a
``TypeError``), never a silently wrong run.

Example::

    class Train(TaskParameters):
        epochs = param(type=int, range=(1, 1000), default=10)
        dropout = percent_param(default=0.1)

    params = task.connect(Train(epochs=20))  # section General: epochs, dropout
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import attr

__all__ = ["TaskParameters", "param", "percent_param", "range_validator"]

#: an ``attrs`` validator: ``(instance, attribute, value) -> None``, raising on a bad value
Validator = Callable[[Any, "attr.Attribute[Any]", Any], Any]


def range_validator(min_value: Any, max_value: Any) -> Validator:
    """A validator that requires ``min_value <= value <= max_value``.

    Args:
        min_value: the smallest value allowed, or ``None`` for no lower limit.
        max_value: the largest value allowed, or ``None`` for no upper limit.

    Returns:
        An ``attrs`` validator raising ``ValueError`` for a value outside the range
        (``None`` passes: combine with a type to forbid it).
    """

    def check(instance: Any, attribute: attr.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if (min_value is not None and value < min_value) or (
            max_value is not None and value > max_value
        ):
            low = "-inf" if min_value is None else repr(min_value)
            high = "inf" if max_value is None else repr(max_value)
            raise ValueError(
                f"{type(instance).__name__}.{attribute.name} is {value!r}, outside its range "
                f"[{low}, {high}]: give a value within it"
            )

    return check


def _type_validator(kind: type) -> Validator:
    def check(instance: Any, attribute: attr.Attribute[Any], value: Any) -> None:
        if value is not None and not isinstance(value, kind):
            raise TypeError(
                f"{type(instance).__name__}.{attribute.name} must be of type {kind.__name__} (or "
                f"None), not {type(value).__name__} {value!r}"
            )

    return check


def param(
    validator: Validator | Iterable[Validator] | None = None,
    range: tuple[Any, Any] | None = None,
    type: type | None = None,
    desc: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """A parameter of a :class:`TaskParameters` class (a class attribute).

    Args:
        validator: an ``attrs`` validator or a list of them.
        range: ``(min, max)``, both inclusive; ``None`` at either end for no limit.
        type: the type values must have (``None`` is allowed too); ``None`` for any type.
        desc: a description, kept in the attribute's metadata as ``"desc"``.
        metadata: more metadata of the attribute.
        *args: passed on to ``attr.ib`` (``default``, ``converter``...).
        **kwargs: passed on to ``attr.ib``.

    Returns:
        The attribute definition (an ``attr.ib``).
    """
    if validator is None:
        checks: list[Validator] = []
    elif callable(validator):
        checks = [validator]
    else:
        checks = list(validator)
    if type is not None:
        checks.append(_type_validator(type))
    if range is not None:
        if not isinstance(range, (tuple, list)) or len(range) != 2:
            raise TypeError(f"param(range=...) takes (min, max), not {range!r}")
        checks.append(range_validator(*range))
    meta = {**(metadata or {}), "desc": desc}
    make: Any = attr.ib  # *args and **kwargs pass through: attrs checks them
    return make(*args, validator=checks, type=type, metadata=meta, **kwargs)


def percent_param(
    validator: Validator | Iterable[Validator] | None = None,
    desc: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """A ``float`` parameter between 0 and 1, both included (see :func:`param`)."""
    return param(validator, (0, 1), float, desc, metadata, **kwargs)


class _AttrsMeta(type):
    """Makes each class of this metaclass an ``attrs`` class (validated on set too)."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:
        cls = super().__new__(mcs, name, bases, namespace)
        return attr.s(cls, on_setattr=[attr.setters.convert, attr.setters.validate])


class TaskParameters(metaclass=_AttrsMeta):
    """The base class of a set of parameters to connect to a task.

    Declare each parameter with :func:`param` (or :func:`percent_param`); connecting an
    instance (``task.connect(params)``, or ``params.connect(task)``) records the values
    in the section ``General`` (or ``name``), and under an agent sets the values stored
    on the task, validated.

    Example::

        class Search(TaskParameters):
            trials = param(type=int, range=(1, 500), default=50, desc="number of trials")
            sample = percent_param(default=0.25)
    """

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a new ``{name: value}`` dict (nested parameter classes too)."""
        return attr.asdict(cast(Any, self))

    def update_from_dict(self, source_dict: Mapping[str, Any]) -> None:
        """Set parameters from ``{name: value}``, each value validated.

        Raises:
            ValueError: a name that is not a parameter of this class, or a value out of range.
            TypeError: a value of the wrong type.
        """
        names = [a.name for a in attr.fields(cast(Any, type(self)))]
        for key, value in source_dict.items():
            if key not in names:
                raise ValueError(
                    f"{type(self).__name__} has no parameter {key!r}; its parameters are "
                    f"{', '.join(names) or '(none)'}"
                )
            setattr(self, key, value)

    def connect(self, task: Any) -> Any:
        """Connect these parameters to ``task`` (the same as ``task.connect(self)``).

        Returns:
            ``self``.
        """
        return task.connect(self)
