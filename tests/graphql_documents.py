"""Random valid query documents over the registry, for differential tests (hypothesis).

:func:`documents` builds, from the graphql-core schema the service serves and a few real
values (:class:`Seeds`), query documents rooted at ``persons``, ``households``,
``person(id:)``, ``household(id:)`` and ``node(id:)``: random subsets of the fields of
every object type reachable from them (plugin fields included), random aliases (the same
field twice under two aliases with different arguments among them), named and inline
fragments, variables (``first``, ``after``, ``id``, filters, boolean arguments, directive
conditions), ``@skip``/``@include`` with literal and variable conditions, filters
(``regionCode``, ``category``, ``isKeyPerson``/``isKeyHousehold``, ``search``),
``categories(activeOnly:)``, ``members(includeEnded:)`` and ``__typename``.

Every document is valid (graphql-core's ``validate``; tests/test_compiled_differential.py
checks it without a database) and stays well inside the service's limits (``Settings``:
depth, aliases, tokens, directives, static cost): nesting at most :data:`MAX_DEPTH` fields
deep, at most :data:`MAX_FIELDS` fields once fragments are expanded, pages of at most
:data:`MAX_FIRST`.

How overlapping fields are kept mergeable: a response key (a field's alias, or its name)
is bound, across the whole document, to one field name, one argument text and one return
type; a field whose key is bound otherwise takes another alias. Two selections under one
key then always merge, whatever their parents and their fragments.
"""

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    get_named_type,
    is_leaf_type,
)
from hypothesis import strategies as st

#: Root fields of the registry that documents start from.
ROOTS = ("persons", "households", "person", "household", "node")
#: Deepest nesting of fields with a selection (the root field is 1); the service allows 12.
MAX_DEPTH = 6
#: Fields of a document once its fragments are expanded.
MAX_FIELDS = 90
#: Largest page asked for.
MAX_FIRST = 5
#: Aliases of a document once its fragments are expanded; the service allows 30.
MAX_ALIASES = 12
#: Directive uses (in the text); the service allows 50.
MAX_DIRECTIVES = 8
MAX_FRAGMENTS = 3
#: Types a field typed by an interface (``Node``) gets inline fragments on.
NODE_TYPES = ("Person", "Household", "Organisation")
#: Object types never selected into: none reachable has a required argument, but these
#: are wide and add nothing the others do not (a city's regions, every one).
SKIPPED_FIELDS = {("Region", "children")}
#: Fields drawn three times as often as the others: the plugins' fields and the guarded
#: leaves, which roles are refused (with an error and an audit row).
FAVOURED = {
    "Person": ("medical", "education", "employment", "bottomLine", "idNumber", "birthDate",
               "phone", "disability", "guardian", "household", "categories"),
    "Household": ("housing", "members", "head"),
    "Membership": ("person",),
    "MedicalOnPerson": ("conditions", "hospitalisations"),
    "MedicalCondition": ("diagnosis", "diagnosisName", "diagnosisCode"),
    "PersonConnection": ("nodes", "edges"),
    "HouseholdConnection": ("nodes", "edges"),
}  # fmt: skip
ALIAS_WORDS = ("a", "b", "other", "again", "more", "alias", "x", "y", "mine", "first", "last")
FILTER_KEYS = {
    "PersonFilter": ("regionCode", "category", "isKeyPerson", "search"),
    "HouseholdFilter": ("regionCode", "category", "isKeyHousehold", "search"),
}


@dataclasses.dataclass(frozen=True)
class Seeds:
    """Real values of the database the documents are run on."""

    persons: tuple[str, ...]  # global IDs
    households: tuple[str, ...]  # global IDs
    regions: tuple[str, ...]  # region codes, at any level
    cursors: tuple[str, ...]  # cursors a page of persons or households ended at
    searches: tuple[str, ...]  # parts of names


@dataclasses.dataclass(frozen=True)
class Document:
    query: str
    variables: dict[str, Any]

    def __repr__(self) -> str:
        return (
            f"Document(\n{self.query}\nvariables={json.dumps(self.variables, ensure_ascii=False)})"
        )


@dataclasses.dataclass
class _Fragment:
    name: str
    type_name: str
    fields: int  # fields once expanded
    aliases: int  # aliases once expanded
    height: int  # nesting of fields with a selection, below the spread


class _Builder:
    """The state of one document being drawn."""

    def __init__(
        self, draw: Callable[[st.SearchStrategy[Any]], Any], schema: GraphQLSchema, seeds: Seeds
    ) -> None:
        self.draw = draw
        self.schema = schema
        self.seeds = seeds
        self.keys: dict[str, tuple[str, str, str]] = {}  # response key -> (field, args, type)
        self.variables: dict[str, tuple[str, Any]] = {}  # name -> (type, value)
        self.fragments: list[_Fragment] = []
        self.fragment_texts: list[str] = []
        self.fragments_begun = 0
        self.fields = 0
        self.aliases = 0
        self.directives = 0

    def chance(self, n: int) -> bool:
        """True one time in ``n`` (for n > 2, the shrunk choice is False: hypothesis shrinks
        integers to their lower end, so the rare branch is a value in the middle)."""
        return bool(self.draw(st.integers(0, n - 1)) == n // 2)

    # -- values -------------------------------------------------------------------------

    def variable(self, type_text: str, value: Any) -> str:
        name = f"v{len(self.variables)}"
        self.variables[name] = (type_text, value)
        return f"${name}"

    def value(self, type_: GraphQLType | str, python: Any, literal: str) -> str:
        """``literal``, or a new variable of ``type_`` holding ``python`` (a third of the time)."""
        if self.chance(3):
            return self.variable(str(type_), python)
        return literal

    def boolean(self, type_: GraphQLType | str) -> str:
        flag = self.draw(st.booleans())
        return self.value(type_, flag, "true" if flag else "false")

    def string(self, type_: GraphQLType | str, text: str) -> str:
        return self.value(type_, text, json.dumps(text, ensure_ascii=False))

    def argument(self, owner: str, field: str, name: str, argument: GraphQLArgument) -> str | None:
        """The text of a value for the argument, or None to leave it out."""
        type_ = argument.type
        required = isinstance(type_, GraphQLNonNull) and argument.default_value is None
        if name == "first":
            first = self.draw(st.integers(1, MAX_FIRST))
            return self.value(type_, first, str(first))
        if name == "id":
            pool = {
                "person": self.seeds.persons,
                "household": self.seeds.households,
            }.get(field, self.seeds.persons + self.seeds.households)
            return self.string(type_, self.draw(st.sampled_from(pool)))
        if not required and not self.draw(st.booleans()):
            return None  # its default
        if name == "after":
            return self.string(type_, self.draw(st.sampled_from(self.seeds.cursors)))
        named = get_named_type(type_)
        if name == "filter" and isinstance(named, GraphQLInputObjectType):
            return self.filter(type_, named)
        if named.name == "Boolean":
            return self.boolean(type_)
        if required:
            raise LookupError(f"no value for {owner}.{field}({name}:)")
        return None

    def filter(self, type_: GraphQLType, named: GraphQLInputObjectType) -> str:
        keys = [k for k in FILTER_KEYS.get(named.name, ()) if k in named.fields]
        chosen = self.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True))
        values: dict[str, tuple[Any, str]] = {}
        for key in chosen:
            field_type = named.fields[key].type
            inner = get_named_type(field_type)
            if key == "regionCode":
                code = self.draw(st.sampled_from(self.seeds.regions))
                values[key] = (code, json.dumps(code))
            elif key == "search":
                part = self.draw(st.sampled_from(self.seeds.searches))
                values[key] = (part, json.dumps(part, ensure_ascii=False))
            elif isinstance(inner, GraphQLEnumType):
                member = self.draw(st.sampled_from(sorted(inner.values)))
                values[key] = (member, member)
            else:
                flag = self.draw(st.booleans())
                values[key] = (flag, "true" if flag else "false")
        if self.chance(4):  # the whole filter as one variable
            return self.variable(str(type_), {k: v[0] for k, v in values.items()})
        parts = []
        for key, (python, literal) in values.items():
            parts.append(f"{key}: {self.value(named.fields[key].type, python, literal)}")
        return "{" + ", ".join(parts) + "}"

    def directive(self) -> str:
        """`` @skip(if: ...)``, `` @include(if: ...)`` or "" (most of the time)."""
        if self.directives >= MAX_DIRECTIVES or not self.chance(8):
            return ""
        self.directives += 1
        name = self.draw(st.sampled_from(("skip", "include")))
        return f" @{name}(if: {self.boolean('Boolean!')})"

    # -- keys -----------------------------------------------------------------------------

    def key(self, field: str, args: str, type_text: str) -> str | None:
        """The response key for the field: its name or an alias (None: out of aliases)."""
        signature = (field, args, type_text)
        want_alias = self.chance(5)
        if not want_alias and self.keys.get(field, signature) == signature:
            self.keys[field] = signature
            return field
        if self.aliases >= MAX_ALIASES:
            return None
        word = self.draw(st.sampled_from(ALIAS_WORDS))
        alias = f"{word}{field[0].upper()}{field[1:]}"
        number = 2
        while self.keys.get(alias, signature) != signature:
            alias = f"{word}{field[0].upper()}{field[1:]}{number}"
            number += 1
        self.keys[alias] = signature
        self.aliases += 1
        return alias

    # -- selections -----------------------------------------------------------------------

    def root(self) -> str:
        query = self.schema.query_type
        assert query is not None
        names = [self.draw(st.sampled_from(ROOTS[::-1]))]  # persons and households last
        names += self.draw(st.lists(st.sampled_from(ROOTS), max_size=2))
        parts = []
        for name in names:
            text = self.field(query, name, query.fields[name], depth=1)
            if text:
                parts.append(text)
        assert parts  # the first field is always within the budgets
        return "{ " + " ".join(parts) + " }"

    def field(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        name: str,
        definition: GraphQLField,
        depth: int,
    ) -> str | None:
        """The text selecting one field (with arguments, alias, directive), None if over budget."""
        named = get_named_type(definition.type)
        leaf = is_leaf_type(named)
        if self.fields >= MAX_FIELDS or (not leaf and depth > MAX_DEPTH):
            return None
        args = []
        variables = dict(self.variables)
        for arg_name, argument in definition.args.items():
            value = self.argument(parent.name, name, arg_name, argument)
            if value is not None:
                args.append(f"{arg_name}: {value}")
        args_text = f"({', '.join(args)})" if args else ""
        key = self.key(name, args_text, str(definition.type))
        if key is None:
            self.variables = variables  # the field is left out: so are its variables
            return None
        self.fields += 1
        head = (f"{key}: " if key != name else "") + name + args_text + self.directive()
        if leaf:
            return head
        assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
        return f"{head} {self.selection(named, depth + 1)}"

    def selection(self, type_: GraphQLObjectType | GraphQLInterfaceType, depth: int) -> str:
        """``{ ... }`` for a value of ``type_`` whose fields are at nesting ``depth``."""
        parts: list[str] = []
        if isinstance(type_, GraphQLInterfaceType):
            parts.append(self.leaf(type_))
            possible = [t for t in self.schema.get_possible_types(type_) if t.name in NODE_TYPES]
            for target in self.draw(st.lists(st.sampled_from(possible), max_size=2, unique=True)):
                parts.append(
                    f"... on {target.name}{self.directive()} {self.selection(target, depth)}"
                )
            return "{ " + " ".join(parts) + " }"
        names = [n for n in type_.fields if (type_.name, n) not in SKIPPED_FIELDS]
        names += [n for n in FAVOURED.get(type_.name, ()) if n in type_.fields] * 2
        chosen = self.draw(st.lists(st.sampled_from(names), max_size=6, unique=True))
        for name in chosen:
            definition = type_.fields[name]
            text = self.field(type_, name, definition, depth)
            if text:
                parts.append(text)
            if definition.args and text and self.chance(3):
                again = self.field(type_, name, definition, depth)  # other arguments, alias
                if again:
                    parts.append(again)
        extra = self.draw(st.integers(0, 9))
        if extra == 7:
            parts.append("__typename")
        elif extra == 8:  # an inline fragment, with or without its type condition
            condition = self.draw(st.sampled_from(("", f" on {type_.name}")))
            parts.append(f"...{condition}{self.directive()} {self.selection(type_, depth)}")
        elif extra == 9:
            spread = self.spread(type_, depth)
            if spread:
                parts.append(spread)
        if not any(not p.startswith("...") for p in parts):  # at least one field of its own
            parts.insert(0, self.leaf(type_))
        return "{ " + " ".join(parts) + " }"

    def leaf(self, type_: GraphQLObjectType | GraphQLInterfaceType) -> str:
        """A field to select when nothing else is: ``id``, or ``__typename`` without one."""
        signature = ("id", "", "ID!")
        if "id" in type_.fields and self.keys.setdefault("id", signature) == signature:
            return "id"
        return "__typename"

    def spread(self, type_: GraphQLObjectType | GraphQLInterfaceType, depth: int) -> str | None:
        """``...F`` of a fragment on the type: one drawn before, or a new one."""
        room = MAX_DEPTH - depth + 1
        reusable = [
            f
            for f in self.fragments
            if f.type_name == type_.name
            and f.height <= room
            and self.fields + f.fields <= MAX_FIELDS
            and self.aliases + f.aliases <= MAX_ALIASES
        ]
        if reusable and self.draw(st.booleans()):
            fragment = self.draw(st.sampled_from(reusable))
            self.fields += fragment.fields
            self.aliases += fragment.aliases
            return f"...{fragment.name}{self.directive()}"
        if self.fragments_begun >= MAX_FRAGMENTS:
            return None
        name = f"F{self.fragments_begun}{type_.name}"
        self.fragments_begun += 1
        fields, aliases = self.fields, self.aliases
        body = self.selection(type_, depth)
        fragment = _Fragment(
            name=name,
            type_name=type_.name,
            fields=self.fields - fields,
            aliases=self.aliases - aliases,
            height=_height(body),
        )
        self.fragments.append(fragment)
        self.fragment_texts.append(f"fragment {name} on {type_.name} {body}")
        return f"...{name}{self.directive()}"

    def document(self) -> Document:
        body = self.root()
        definitions = ", ".join(f"${n}: {t}" for n, (t, _v) in self.variables.items())
        operation = f"query Generated({definitions}) {body}" if definitions else body
        text = "\n".join([operation, *self.fragment_texts])
        return Document(text, {n: v for n, (_t, v) in self.variables.items()})


def _height(selection: str) -> int:
    """How deep the braces of a selection's text nest (strings hold no braces here)."""
    deepest = level = 0
    in_string = False
    for char in selection:
        if char == '"':
            in_string = not in_string
        elif not in_string and char == "{":
            level += 1
            deepest = max(deepest, level)
        elif not in_string and char == "}":
            level -= 1
    return deepest


def documents(schema: GraphQLSchema, seeds: Seeds) -> st.SearchStrategy[Document]:
    """Valid query documents over the registry's root fields (see the module docstring)."""

    @st.composite
    def draw_document(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Document:
        return _Builder(draw, schema, seeds).document()

    return draw_document()
