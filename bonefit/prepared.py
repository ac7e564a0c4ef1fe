"""Querysets of a fixed shape, compiled to SQL once per process.

Django builds a queryset's SQL afresh every time it runs one. For the few small queries
that every patient page runs (the routine, the care links, the week's items) that took
three to seven times as long as the database took to answer. A PreparedQuery builds its
queryset once, with marker numbers where the arguments go, keeps the SQL Django compiled
from it, and runs that SQL again with the real numbers. The rows become model instances
the way Django makes them (the fields' converters, select_related), so the query is still
written once, with the ORM, and changes with the models.

Arguments are whole numbers (primary keys) or words (keys such as a session's). A
queryset is only prepared when its SQL carries each marker exactly once, unchanged, as a
parameter, and nothing else in it changes with the markers; otherwise, or when Django
cannot build it with markers at all, it is simply run by Django every time.
"""

import inspect
from functools import partial
from operator import itemgetter

from django.core.exceptions import (
    EmptyResultSet,
    FullResultSet,
    ValidationError,
)
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import DEFERRED, Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import (
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

# Whole-number markers fit every integer column, small ones too (Django refuses to compile
# a value beyond a column's range); a constant in a query equal to one only keeps that
# query from being prepared.
_MARKER = 32_000
_SMALLEST, _LARGEST = -(2**31), 2**31 - 1  # what every integer column holds


def _marker(position, kind):
    """A value for argument `position` that no real one will be. The word holds what a
    lookup would escape or change (LIKE's % and _, quotes, case): if it comes back as a
    parameter unchanged, any word would."""
    if kind is int:
        return _MARKER + position
    return f"zq%_{_MARKER + position}\\'\"Qz"


def _plain(value):
    """`value` as a plain int or str (a choice such as Weekday.MONDAY is one), or None
    when the query is Django's to run: another type, or a number beyond what an integer
    column holds (Django answers "no rows" for it without asking the database)."""
    if type(value) is bool:
        return None
    if isinstance(value, int):
        return int(value) if _SMALLEST <= value <= _LARGEST else None
    if isinstance(value, str):
        return str(value)
    return None


class PreparedQuery:
    """`build(*values)` returns a queryset; calling the PreparedQuery with the same
    arguments returns the same list that `list(build(*values))` would, at a fraction of
    the cost."""

    def __init__(self, build, *, using=DEFAULT_DB_ALIAS):
        self._build = build
        self._using = using
        # (database vendor, the arguments' types) -> _Plan, or None: cannot be prepared
        self._plans = {}

    def __call__(self, *values, **fixed):
        """The rows of build(*values, **fixed). `fixed` values (a page's offset and
        size) are written into the SQL: each set of them is compiled once, so they
        must come from a small set (page numbers, not anything a visitor types)."""
        plain = tuple(map(_plain, values))
        if None in plain:
            return list(self._build(*values, **fixed))
        values = plain
        kinds = tuple(map(type, values))
        connection = connections[self._using]
        key = (connection.vendor, kinds, *sorted(fixed.items()))
        try:
            plan = self._plans[key]
        except KeyError:
            build = partial(self._build, **fixed) if fixed else self._build
            plan = self._plans[key] = _Plan.of(build, kinds, self._using)
        if plan is None:
            return list(self._build(*values, **fixed))
        return plan.run(connection, values)


def _compile(build, kinds, using, first):
    """(sql, params, where each marker is in params, compiler, whether the rows are
    values_list() tuples), or None."""
    markers = [_marker(first + n, kind) for n, kind in enumerate(kinds)]
    try:
        queryset = build(*markers)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
    except (TypeError, ValueError, ValidationError, EmptyResultSet, FullResultSet):
        return None  # a marker a field cannot take (a word for a number…): Django's
    query = queryset.query
    tuples = _plain_values_list(queryset)
    if (
        queryset._prefetch_related_lookups
        or queryset._known_related_objects
        or query.select_for_update  # Django checks the transaction when it compiles
        or (
            not tuples
            and (
                queryset._iterable_class is not ModelIterable
                or compiler.klass_info is None
            )
        )
    ):
        return None
    params = list(params)
    positions = []
    for marker in markers:
        if params.count(marker) != 1 or str(marker) in sql:
            return None
        positions.append(params.index(marker))
    return sql, params, positions, compiler, tuples


def _plain_values_list(queryset):
    """Whether `queryset` is values_list() (not flat, not named) whose converted rows are
    its tuples: its columns, then annotations (an aggregate such as Count), in the order
    they were asked for."""
    query = queryset.query
    if queryset._iterable_class is not ValuesListIterable or query.extra_select:
        return False
    asked = list(queryset._fields or ())
    selected = [*query.values_select, *query.annotation_select]
    return not asked or asked == selected


class _Plan:
    """The compiled SQL of one queryset, and how to turn its rows into instances (or,
    for values_list(), into tuples)."""

    def __init__(self, sql, params, positions, compiler, using, *, tuples):
        self.sql = sql
        self.params = params
        self.positions = positions
        self.using = using
        select = compiler.select
        self.converters = list(
            compiler.get_converters([column[0] for column in select]).items()
        )
        if tuples:  # values_list(): the rows are the result
            self.model = None
            return
        klass_info = compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.model_columns = slice(fields[0], fields[-1] + 1)
        self.init_list = [
            column[0].target.attname for column in select[self.model_columns]
        ]
        self.make_instance = instance_maker(self.model, self.init_list, using)
        self.related_populators = get_related_populators(klass_info, select, using)
        self.annotations = list(compiler.annotation_col_map.items())

    @classmethod
    def of(cls, build, kinds, using):
        """The plan of `build`, or None when its SQL cannot be reused for other values.

        It is compiled twice, with two sets of markers: the SQL and every parameter but
        the markers must come out the same, so nothing in it was worked out from them."""
        compiled = [_compile(build, kinds, using, first) for first in (0, 100)]
        if None in compiled:
            return None
        (
            (sql, params, positions, compiler, tuples),
            (other_sql, other_params, other_positions, *_),
        ) = compiled
        unchanged = [n for n in range(len(params)) if n not in positions]
        if (
            sql != other_sql
            or positions != other_positions
            or len(params) != len(other_params)
            or any(params[n] != other_params[n] for n in unchanged)
        ):
            return None
        return cls(sql, params, positions, compiler, using, tuples=tuples)

    def run(self, connection, values):
        params = list(self.params)
        for position, value in zip(self.positions, values, strict=True):
            params[position] = value
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        objects = []
        for row in rows:
            if self.converters:
                row = list(row)
                for position, (converters, expression) in self.converters:
                    value = row[position]
                    for converter in converters:
                        value = converter(value, expression, connection)
                    row[position] = value
            if self.model is None:
                objects.append(tuple(row))
                continue
            instance = self.make_instance(row[self.model_columns])
            for populator in self.related_populators:
                populator.populate(row, instance)
            for name, position in self.annotations:
                setattr(instance, name, row[position])
            objects.append(instance)
        return objects


def instance_maker(model, field_names, using=DEFAULT_DB_ALIAS):
    """A function from a row of `field_names` (a query's columns, in order) to a `model`
    instance, the same as Model.from_db() makes.

    Model.__init__ sends two signals and sets each field through its descriptor; for a
    query of some of the columns (only(), defer()), from_db() first searches the column
    names for every field of every row. For a week's items that was as long as the rest
    of reading them. So when the model's fields are plain (each attribute is Django's
    DeferredAttribute, which stores the value as is) and its class does not change
    __init__ or from_db, the values go straight into the instance, as __init__ would
    put them; whenever a pre_init or post_init receiver is connected for the model (an
    ImageField's, a test's), Django makes it.
    """
    fields = model._meta.concrete_fields
    from_db = model.from_db
    if len(field_names) == len(fields):

        def made_by_django(row):
            return from_db(using, field_names, row)

    else:
        missing = len(field_names)
        read = {name: position for position, name in enumerate(field_names)}
        every_field = itemgetter(*(read.get(f.attname, missing) for f in fields))

        def made_by_django(row):
            return from_db(using, field_names, every_field((*row, DEFERRED)))

    if not _plain_model(model, field_names):
        return made_by_django
    new = model.__new__

    def make(row):
        if (pre_init.receivers or post_init.receivers) and (
            pre_init.has_listeners(model) or post_init.has_listeners(model)
        ):
            return made_by_django(row)
        instance = new(model)
        state = instance._state = ModelState()
        state.adding = False
        state.db = using
        instance.__dict__.update(zip(field_names, row, strict=True))
        return instance

    return make


def _plain_model(model, field_names):
    """Whether Model.__init__ would only store each of `field_names` in the instance's
    __dict__ (see instance_maker)."""
    return (
        model.__init__ is Model.__init__
        and model.from_db.__func__ is Model.from_db.__func__
        and all(
            type(inspect.getattr_static(model, name, None))
            in (DeferredAttribute, ForeignKeyDeferredAttribute)
            for name in field_names
        )
    )
