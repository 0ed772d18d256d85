"""The name analysis behind :mod:`corral.pipelines.notebook`: which names a cell reads and binds.

Pure functions over :mod:`ast`, no I/O:

* :func:`free_names`: the names a piece of code reads from outside itself, with nested
  scopes (functions, lambdas, classes, comprehensions) handled as Python scopes them.
* :func:`analyse_step`: a step's code, statement by statement, in order: the names it
  reads before it has surely bound them (candidates for inputs), the names it binds
  (``data``, ``import`` with the import's source, or ``deleted``), and the names it
  modifies in place.
* :func:`resolve`: across the steps, in order, where each name a step reads comes from
  (an earlier step, a parameter) and so what each step returns.
* :func:`definitions_of` and :func:`uses`: the helper functions and constants of the
  ``functions`` cells a step needs.
* :func:`indent_code`: indent code into a function body without touching the inside of
  multi-line strings.

A name bound only inside an ``if``/``for``/``while``/``try``/``match`` block is "maybe"
bound: it is an output candidate, but a later read of it still counts as a read, since the
block may not have run. A name is *modified* by a step that stores into one of its
attributes or items (``df["a"] = 1``, ``m.w += 1``, ``del d[k]``) or calls a method of it as
a statement of its own (``model.fit(X, y)``, ``rows.append(r)``): a method called for its
result (``m = x.mean()``) is taken as reading only.

Example::

    >>> use = analyse_step(ast.parse("df['a'] = 1\\nfor i in range(n):\\n    t = i\\nm = t"))
    >>> list(use.reads), use.bound, sorted(use.modified), sorted(use.definite)
    (['df', 'range', 'n', 't'], {'i': 'data', 't': 'data', 'm': 'data'}, ['df'], ['m'])
"""

from __future__ import annotations

import ast
import builtins
import io
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "Definition",
    "StepData",
    "StepNames",
    "analyse_step",
    "definitions_of",
    "free_names",
    "indent_code",
    "resolve",
    "root_name",
    "stores",
    "uses",
]

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class _Scope(ast.NodeVisitor):
    """The loads and stores of one scope; nested scopes count by their free names."""

    def __init__(self, parent: _Scope | None = None) -> None:
        self.loads: dict[str, None] = {}
        self.stores: dict[str, None] = {}
        self.declared: set[str] = set()  # global/nonlocal: not local even when assigned
        self.parent = parent  # set for a comprehension, whose walrus binds in its parent

    def free(self) -> list[str]:
        return [n for n in self.loads if n not in self.stores or n in self.declared]

    def _load(self, names: list[str]) -> None:
        self.loads.update(dict.fromkeys(names))

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads[node.id] = None
        else:
            self.stores[node.id] = None

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        scope.stores[node.target.id] = None

    def visit_Global(self, node: ast.Global) -> None:
        self.declared.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.declared.update(node.names)

    def visit_Import(self, node: ast.Import) -> None:
        self.stores.update(dict.fromkeys(_import_names(node)))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.stores.update(dict.fromkeys(_import_names(node)))

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.stores[node.name] = None
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.stores[node.name] = None
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.stores[node.name] = None

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.stores[node.rest] = None
        self.generic_visit(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.visit(default)
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        inner = _Scope()
        for arg in every:
            if arg is None:
                continue
            inner.stores[arg.arg] = None
            if arg.annotation is not None:
                self.visit(arg.annotation)
        if isinstance(node, ast.Lambda):
            inner.visit(node.body)
        else:
            for decorator in node.decorator_list:
                self.visit(decorator)
            if node.returns is not None:
                self.visit(node.returns)
            for stmt in node.body:
                inner.visit(stmt)
            self.stores[node.name] = None
        self._load(inner.free())

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        inner = _Scope()
        for stmt in node.body:
            inner.visit(stmt)
        self._load(inner.free())
        self.stores[node.name] = None

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        self.visit(node.generators[0].iter)  # the only part evaluated in the enclosing scope
        inner = _Scope(parent=self)
        for i, gen in enumerate(node.generators):
            if i:
                inner.visit(gen.iter)
            inner.visit(gen.target)
            for cond in gen.ifs:
                inner.visit(cond)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for part in parts:
            inner.visit(part)
        self._load(inner.free())

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension


def free_names(*nodes: ast.AST) -> list[str]:
    """The names ``nodes`` read that they do not bind themselves, in reading order.

    Example::

        >>> free_names(ast.parse("def f(x):\\n    return g(x) + [y for y in ys]"))
        ['g', 'ys']
    """
    scope = _Scope()
    for node in nodes:
        scope.visit(node)
    return scope.free()


def stores(*nodes: ast.AST) -> list[str]:
    """The names ``nodes`` bind in their own scope (assignments, defs, imports...)."""
    scope = _Scope()
    for node in nodes:
        scope.visit(node)
    return [n for n in scope.stores if n not in scope.declared]


def _import_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"]


def root_name(node: ast.expr) -> str | None:
    """``df`` for ``df``, ``df.loc[i]``, ``model.layer.weight``; None for ``f().x``."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


@dataclass
class StepNames:
    """What one step's code does with names, at the step's own scope."""

    #: names read before the step surely bound them, in reading order
    reads: dict[str, None] = field(default_factory=dict)
    #: the last binding of each name the step binds: "data", "import" or "deleted"
    bound: dict[str, str] = field(default_factory=dict)
    #: the import statement (source) of each name whose last binding is a top-level import
    imports: dict[str, str] = field(default_factory=dict)
    #: names modified in place (items, attributes, method calls as statements)
    modified: dict[str, None] = field(default_factory=dict)
    #: names surely bound when the step ends
    definite: set[str] = field(default_factory=set)


class _StepWalker:
    """Walks a step's statements in order, tracking the names surely bound so far.

    ``sure`` is the set of names surely bound at this point; a block that may not run
    works on a copy of it. ``top`` says the statement runs unconditionally (at the step's
    top level or in a ``with``): only such an import can be repeated in a later step, and
    only such a ``del`` surely deletes.
    """

    def __init__(self, source: str) -> None:
        self.out = StepNames()
        self.source = source

    def read(self, names: list[str], sure: set[str]) -> None:
        for name in names:
            if name not in sure:
                self.out.reads.setdefault(name, None)

    def expr(self, node: ast.AST | None, sure: set[str]) -> None:
        if node is None:
            return
        scope = _Scope()
        scope.visit(node)
        # a def's own name may appear in its body (recursion); an expression's walrus
        # target may be read in the same expression, so count it as read (to be safe)
        self.read(scope.free() if isinstance(node, _SCOPES) else list(scope.loads), sure)
        for name in scope.stores:  # a def's or class's name, or walrus targets
            self.bind(name, sure)

    def bind(self, name: str, sure: set[str], kind: str = "data") -> None:
        self.out.bound[name] = kind
        self.out.imports.pop(name, None)
        sure.add(name)

    def modify(self, node: ast.expr, sure: set[str]) -> None:
        name = root_name(node)
        if name is not None:
            self.read([name], sure)
            self.out.modified.setdefault(name, None)

    def target(self, node: ast.expr, sure: set[str]) -> None:
        if isinstance(node, ast.Name):
            self.bind(node.id, sure)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                self.target(elt, sure)
        elif isinstance(node, ast.Starred):
            self.target(node.value, sure)
        else:  # attribute or item: reads the object (and the key), modifies the object
            self.expr(node, sure)
            self.modify(node, sure)

    def block(self, body: list[ast.stmt], sure: set[str], top: bool) -> set[str]:
        for stmt in body:
            self.stmt(stmt, sure, top)
        return sure

    def stmt(self, node: ast.stmt, sure: set[str], top: bool) -> None:
        if isinstance(node, ast.Assign):
            self.expr(node.value, sure)
            for tgt in node.targets:
                self.target(tgt, sure)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.value, sure)
            if isinstance(node.target, ast.Name):
                self.read([node.target.id], sure)
            self.target(node.target, sure)
        elif isinstance(node, ast.AnnAssign):  # a local's annotation is never evaluated
            if node.value is not None:
                self.expr(node.value, sure)
                self.target(node.target, sure)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            text = ast.get_source_segment(self.source, node) if top else None
            for name in _import_names(node):
                self.bind(name, sure, "import")
                if text:
                    self.out.imports[name] = text
        elif isinstance(node, ast.Delete):
            for tgt in node.targets:
                self._delete(tgt, sure, top)
        elif isinstance(node, ast.Expr):
            self.expr(node.value, sure)
            call = node.value
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
                self.modify(call.func.value, sure)
        elif isinstance(node, _SCOPES):
            self.expr(node, sure)  # decorators, defaults and free names; binds the name
        elif isinstance(node, ast.If):
            self.expr(node.test, sure)
            then = self.block(node.body, set(sure), False)
            other = self.block(node.orelse, set(sure), False)
            sure |= then & other
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.expr(node.iter, sure)
            inner = set(sure)
            self.target(node.target, inner)
            self.block(node.body, inner, False)
            self.block(node.orelse, set(sure), False)
        elif isinstance(node, ast.While):
            self.expr(node.test, sure)
            self.block(node.body, set(sure), False)
            self.block(node.orelse, set(sure), False)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expr(item.context_expr, sure)
                if item.optional_vars is not None:
                    self.target(item.optional_vars, sure)
            self.block(node.body, sure, top)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self._try(node, sure, top)
        elif isinstance(node, ast.Match):
            self.expr(node.subject, sure)
            for case in node.cases:
                self.read(free_names(case.pattern), sure)  # value patterns: `case Color.RED`
                inner = set(sure)
                for name in stores(case.pattern):
                    self.bind(name, inner)
                self.expr(case.guard, inner)
                self.block(case.body, inner, False)
        else:  # return, raise, assert, pass, break, continue, global, nonlocal
            for child in ast.iter_child_nodes(node):
                self.expr(child, sure)

    def _delete(self, node: ast.expr, sure: set[str], top: bool) -> None:
        if isinstance(node, ast.Name):
            self.read([node.id], sure)
            if top:
                self.bind(node.id, sure, "deleted")
            else:
                self.out.bound.setdefault(node.id, "data")
            sure.discard(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                self._delete(elt, sure, top)
        else:
            self.expr(node, sure)
            self.modify(node, sure)

    def _try(self, node: ast.stmt, sure: set[str], top: bool) -> None:
        body: list[ast.stmt] = getattr(node, "body", [])
        after = self.block(body, set(sure), False)
        after = self.block(getattr(node, "orelse", []), after, False)
        for handler in getattr(node, "handlers", []):
            inner = set(sure)
            self.expr(handler.type, inner)
            if handler.name:
                self.bind(handler.name, inner)
            after &= self.block(handler.body, inner, False)
        sure |= after
        self.block(getattr(node, "finalbody", []), sure, top)


def analyse_step(module: ast.Module, source: str = "") -> StepNames:
    """The names a step's code (``module``, parsed from ``source``) reads, binds and modifies."""
    walker = _StepWalker(source)
    sure: set[str] = set()
    walker.block(module.body, sure, True)
    walker.out.definite = {n for n in sure if walker.out.bound.get(n) != "deleted"}
    return walker.out


def indent_code(code: str, prefix: str = "    ") -> str:
    """``code`` with ``prefix`` before each line, except the lines inside a multi-line string.

    Example::

        >>> print(indent_code("x = 1\\ns = '''a\\nb'''"))
            x = 1
            s = '''a
        b'''
    """
    lines = code.splitlines()
    inside: set[int] = set()  # 1-based numbers of lines that start within a token
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.end[0] > tok.start[0] and tok.type != tokenize.NL:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):  # pragma: no cover - the code parsed before
        pass
    return "\n".join(
        line if (n in inside or not line.strip()) else prefix + line
        for n, line in enumerate(lines, start=1)
    )


# --- across steps --------------------------------------------------------------------


@dataclass
class StepData:
    """Where one step's names come from and go to (steps by their index)."""

    #: name -> the index of the earlier step it comes from
    inputs: dict[str, int] = field(default_factory=dict)
    #: the pipeline parameters the step reads
    parameters: list[str] = field(default_factory=list)
    #: the names later steps or the metrics take from this step
    outputs: list[str] = field(default_factory=list)
    #: the import statements of earlier steps whose names this step reads
    imports: list[str] = field(default_factory=list)
    #: names read that nothing before defines
    unknown: list[str] = field(default_factory=list)

    @property
    def arguments(self) -> list[str]:
        """The step function's arguments: inputs and parameters, in reading order."""
        return [*self.inputs, *(p for p in self.parameters if p not in self.inputs)]


def resolve(
    steps: list[StepNames],
    parameters: Iterable[str],
    non_data: Iterable[str],
    metrics: Iterable[str] = (),
) -> tuple[list[StepData], dict[str, int]]:
    """Each step's inputs, parameters and outputs, and the step each metric comes from.

    A name a step reads comes from the latest earlier step whose last word on it is a
    binding or an in-place change; failing that from the parameters. Names in ``non_data``
    (the imports and functions cells) and builtins are never data. A metric no step binds
    is missing from the returned dict.

    Example::

        >>> a, b, c = (analyse_step(ast.parse(s)) for s in ["x = n", "y = 2", "z = x + y"])
        >>> data, _ = resolve([a, b, c], ["n"], [])
        >>> [(d.inputs, d.parameters, d.outputs) for d in data]
        [({}, ['n'], ['x']), ({}, [], ['y']), ({'x': 0, 'y': 1}, [], [])]
    """
    params, non = set(parameters), set(non_data)
    data = [StepData() for _ in steps]
    outputs: list[set[str]] = [set() for _ in steps]
    providers: dict[str, tuple[int, str]] = {}  # name -> (step, "data" | "import" | "deleted")
    import_text: dict[str, str] = {}
    maybe: list[
        dict[str, int]
    ] = []  # a name a step may not bind -> where it was before (-1: a parameter)
    for i, names in enumerate(steps):
        here = data[i]
        for name in names.reads:
            if name in non:
                continue
            if name in providers:
                j, kind = providers[name]
                if kind == "data":
                    here.inputs[name] = j
                    outputs[j].add(name)
                elif kind == "import" and name in import_text:
                    if import_text[name] not in here.imports:
                        here.imports.append(import_text[name])
                else:
                    here.unknown.append(name)
            elif name in params:
                here.parameters.append(name)
            elif name not in _BUILTIN_NAMES:
                here.unknown.append(name)
        maybe.append({})
        for name, kind in names.bound.items():
            if kind != "data" or name in names.definite or name in non:
                continue
            j, was = providers.get(name, (-1, "parameter" if name in params else ""))
            if was in ("data", "parameter"):
                maybe[i][name] = j
        for name, kind in names.bound.items():
            if name not in non:
                providers[name] = (i, kind)
                if kind == "import" and name in names.imports:
                    import_text[name] = names.imports[name]
        for name in names.modified:
            if name not in names.bound and (name in here.inputs or name in here.parameters):
                providers[name] = (i, "data")
    found = {m: providers[m][0] for m in metrics if providers.get(m, (0, ""))[1] == "data"}
    for metric, j in found.items():
        outputs[j].add(metric)
    # a name a step only maybe binds and returns must reach it from where it was before
    for i in reversed(range(len(steps))):
        for name, j in maybe[i].items():
            if name in outputs[i] and name not in data[i].arguments:
                if j < 0:
                    data[i].parameters.append(name)
                else:
                    data[i].inputs[name] = j
                    outputs[j].add(name)
        order = [*steps[i].bound, *steps[i].modified]
        data[i].outputs = sorted(outputs[i], key=order.index)
    return data, found


_BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass
class Definition:
    """A top-level statement of a ``functions`` cell: a helper (def, class) or a constant."""

    names: list[str]
    helper: bool
    source: str
    reads: list[str]


def definitions_of(module: ast.Module, source: str) -> list[Definition]:
    """The definitions of one ``functions`` cell; ValueError(line) for any other statement."""
    out = []
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(Definition([node.name], True, "", free_names(node)))
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign)):
            text = ast.get_source_segment(source, node) or ast.unparse(node)
            out.append(Definition(stores(node), False, text, free_names(node)))
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            raise ValueError(node.lineno)
    return out


def uses(reads: Iterable[str], definitions: list[Definition]) -> tuple[list[Definition], set[str]]:
    """The definitions ``reads`` need, directly or through each other (in their order), and
    the names the helpers among them read (which must then be module globals)."""
    by_name = {n: d for d in definitions for n in d.names}
    needed: list[Definition] = []
    todo = [n for n in reads if n in by_name]
    while todo:
        d = by_name[todo.pop()]
        if d not in needed:
            needed.append(d)
            todo += [n for n in d.reads if n in by_name]
    helper_reads = {n for d in needed if d.helper for n in d.reads}
    return [d for d in definitions if d in needed], helper_reads
