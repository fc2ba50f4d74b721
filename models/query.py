"""The archive's query language, parsed into a small syntax tree.

What people already type into search engines::

    vélo                      a word (inflections match: écoles finds école)
    "conseil de Paris"        an exact phrase
    vélo AND piste            both (AND is implied between words: ``vélo piste``)
    vélo OR trottinette       either
    NOT travaux, -travaux     without
    végétal*                  a prefix
    title:canicule            in the title only (``titre:`` works too)
    source:parisien           from the sources whose name has that word
    (vélo OR bus) -travaux    parentheses group

Operators are written in capitals (``AND``/``OR``/``NOT``, or ``ET``/``OU``/``SAUF``); in
lower case they are words. A malformed query raises `QueryError` with a French message
and the character position, never another exception (the parser is fuzzed in the tests).
The tree is compiled to SQL by `models.search`, once per dialect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from .analysis import is_stopword, stem, words

MAX_QUERY_LENGTH = 1000
MAX_TERMS = 40
MAX_DEPTH = 12
MIN_PREFIX = 2

FIELDS = {"title": "title", "titre": "title", "source": "source"}
OPERATORS = {"AND": "AND", "ET": "AND", "OR": "OR", "OU": "OR", "NOT": "NOT", "SAUF": "NOT"}


class QueryError(ValueError):
    """A query that cannot be understood; ``message`` is in French, ``position`` 0-based."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return f"{self.message} (caractère {self.position + 1})"


@dataclass(frozen=True)
class Term:
    """One word (or a word that splits into several tokens, like l'école: then a phrase)."""

    words: tuple[str, ...]  # raw tokens, as typed
    field: str | None = None  # None (title and text) | "title" | "source"
    prefix: bool = False

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(stem(w) for w in self.words)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(stem(w) for w in self.words)


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    child: "Node"


Node = Union[Term, Phrase, And, Or, Not]


@dataclass(frozen=True)
class Token:
    kind: str  # WORD | PHRASE | LPAREN | RPAREN | AND | OR | NOT | MINUS
    text: str
    position: int
    field: str | None = None
    field_position: int = 0


_LEX = re.compile(r'\s+|(?P<lparen>\()|(?P<rparen>\))|(?P<quote>")|(?P<word>[^\s()"]+)')


def tokenize(query: str) -> list[Token]:
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"La recherche est trop longue ({len(query)} caractères, {MAX_QUERY_LENGTH} au plus).",
                         MAX_QUERY_LENGTH)
    tokens: list[Token] = []
    pos = 0
    pending_field: tuple[str, int] | None = None
    while pos < len(query):
        m = _LEX.match(query, pos)
        assert m is not None  # the pattern matches any character
        kind = m.lastgroup
        if kind is None:  # white space
            if pending_field:
                raise QueryError(f"Rien après « {query[pending_field[1]:pos].strip()} » : écrivez par exemple "
                                 f"{pending_field[0]}:mot sans espace.", pending_field[1])
            pos = m.end()
            continue
        if kind == "quote":
            end = query.find('"', pos + 1)
            if end < 0:
                raise QueryError("Guillemet non fermé : ajoutez un \" à la fin de l'expression.", pos)
            field, fpos = pending_field or (None, pos)
            tokens.append(Token("PHRASE", query[pos + 1:end], pos, field, fpos))
            pending_field = None
            pos = end + 1
            continue
        if kind in ("lparen", "rparen"):
            if pending_field:
                raise QueryError(f"Un champ ({pending_field[0]}:) doit être suivi d'un mot ou d'une expression "
                                 "entre guillemets, pas d'une parenthèse.", pending_field[1])
            tokens.append(Token("LPAREN" if kind == "lparen" else "RPAREN", m.group(), pos))
            pos = m.end()
            continue
        text = m.group()
        start = pos
        pos = m.end()
        if pending_field:
            tokens.append(Token("WORD", text, start, pending_field[0], pending_field[1]))
            pending_field = None
            continue
        name, colon, rest = text.partition(":")
        if colon and name.lower() in FIELDS:
            if rest:
                tokens.append(Token("WORD", rest, start + len(name) + 1, FIELDS[name.lower()], start))
            else:  # `title:"a phrase"` or `title:` followed by a quote
                pending_field = (FIELDS[name.lower()], start)
            continue
        if text in OPERATORS:
            tokens.append(Token(OPERATORS[text], text, start))
        elif text.startswith("-") and len(text) > 1:
            tokens.append(Token("MINUS", "-", start))
            inner = text[1:]
            name, colon, rest = inner.partition(":")
            if colon and name.lower() in FIELDS and rest:
                tokens.append(Token("WORD", rest, start + len(name) + 2, FIELDS[name.lower()], start + 1))
            elif colon and name.lower() in FIELDS:
                pending_field = (FIELDS[name.lower()], start + 1)
            else:
                tokens.append(Token("WORD", inner, start + 1))
        else:
            tokens.append(Token("WORD", text, start))
    if pending_field:
        raise QueryError(f"Rien après « {pending_field[0]}: » : écrivez par exemple {pending_field[0]}:mot.",
                         pending_field[1])
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0
        self.depth = 0
        self.terms = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node | None:
        if not self.tokens:
            return None
        node = self.parse_or()
        token = self.peek()
        if token is not None:
            assert token.kind == "RPAREN"  # anything else would have been consumed
            raise QueryError("Parenthèse fermante sans parenthèse ouvrante.", token.position)
        return node

    def parse_or(self) -> Node | None:
        children = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("OR", "AND", "RPAREN"):
                raise QueryError("OR doit être suivi d'un mot ou d'une expression.", token.position)
            children.append(self.parse_and())
        kept = [c for c in children if c is not None]
        if not kept:
            return None
        if len(kept) < len(children):
            # "le OR vélo": a side made only of common words would match everything.
            return Or(tuple(kept)) if len(kept) > 1 else kept[0]
        return Or(tuple(kept)) if len(kept) > 1 else kept[0]

    def parse_and(self) -> Node | None:
        children: list[Node | None] = []
        first = True
        while (token := self.peek()) is not None and token.kind not in ("OR", "RPAREN"):
            if token.kind == "AND":
                if first:
                    raise QueryError("AND doit être précédé d'un mot ou d'une expression.", token.position)
                self.take()
                nxt = self.peek()
                if nxt is None or nxt.kind in ("OR", "AND", "RPAREN"):
                    raise QueryError("AND doit être suivi d'un mot ou d'une expression.", token.position)
                continue
            children.append(self.parse_unary())
            first = False
        if first:
            token = self.peek()
            position = token.position if token is not None else len(self.query)
            if token is not None and token.kind == "OR":
                raise QueryError("OR doit être précédé d'un mot ou d'une expression.", position)
            raise QueryError("Il manque un mot ici.", position)
        kept = [c for c in children if c is not None]
        if not kept:
            return None
        return And(tuple(kept)) if len(kept) > 1 else kept[0]

    def parse_unary(self) -> Node | None:
        token = self.take()
        if token.kind in ("NOT", "MINUS"):
            nxt = self.peek()
            if nxt is None or nxt.kind in ("OR", "AND", "RPAREN", "NOT"):
                raise QueryError(f"{'NOT' if token.kind == 'NOT' else 'Le signe -'} doit être suivi "
                                 "d'un mot ou d'une expression.", token.position)
            child = self.parse_unary()
            return Not(child) if child is not None else None
        if token.kind == "LPAREN":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(f"Trop de parenthèses imbriquées ({MAX_DEPTH} niveaux au plus).", token.position)
            nxt = self.peek()
            if nxt is None:
                raise QueryError("Parenthèse non fermée : ajoutez une ) à la fin.", token.position)
            if nxt.kind == "RPAREN":
                raise QueryError("Parenthèses vides : mettez un mot entre ( et ).", token.position)
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != "RPAREN":
                raise QueryError("Parenthèse non fermée : ajoutez une ) à la fin.", token.position)
            self.take()
            self.depth -= 1
            return node
        if token.kind == "RPAREN":
            raise QueryError("Parenthèse fermante sans parenthèse ouvrante.", token.position)
        if token.kind == "PHRASE":
            return self.phrase(token)
        return self.word(token)

    def count(self, token: Token) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise QueryError(f"Trop de mots dans la recherche ({MAX_TERMS} au plus).", token.position)

    def phrase(self, token: Token) -> Node | None:
        raw = tuple(words(token.text))
        if not raw:
            if token.text.strip():
                return None  # only punctuation between the quotes
            raise QueryError("Expression vide : mettez des mots entre les guillemets.", token.position)
        self.count(token)
        if token.field != "source" and all(is_stopword(w) for w in raw):
            return None  # "de la": only common words, which would match everything
        if len(raw) == 1:
            return Term(raw, token.field)
        return Phrase(raw, token.field)

    def word(self, token: Token) -> Node | None:
        text = token.text
        prefix = text.endswith("*")
        body = text.rstrip("*")
        if "*" in body:
            raise QueryError("L'étoile * se met seulement à la fin d'un mot (végétal*).",
                             token.position + body.index("*"))
        raw = tuple(words(body))
        if not raw:
            if prefix:
                raise QueryError("Une étoile * doit suivre le début d'un mot (végétal*).", token.position)
            return None  # punctuation only: nothing to look for
        self.count(token)
        if prefix and len(raw[-1]) < MIN_PREFIX:
            raise QueryError(f"Préfixe trop court : écrivez au moins {MIN_PREFIX} lettres avant l'étoile.",
                             token.position)
        if prefix and len(raw) > 1:
            raise QueryError("Une étoile * ne peut finir qu'un mot simple (sans apostrophe ni tiret).",
                             token.position)
        if len(raw) > 1:
            kept = tuple(w for w in raw if not is_stopword(w)) if token.field != "source" else raw
            if len(kept) == 1:  # l'école → école
                return Term(kept, token.field)
            if not kept:
                return None
            return Phrase(raw, token.field)
        if not prefix and token.field != "source" and is_stopword(raw[0]):
            return None
        return Term(raw, token.field, prefix)


def parse(query: str) -> Node | None:
    """The syntax tree of ``query``; None when it holds no searchable word (empty, or only
    common words such as « le » or punctuation). Raises `QueryError` when it is malformed."""
    if not isinstance(query, str):
        raise QueryError("La recherche doit être un texte.", 0)
    if "\x00" in query:
        raise QueryError("La recherche contient un caractère nul.", query.index("\x00"))
    try:
        return _Parser(query).parse()
    except RecursionError:  # belt and braces: MAX_DEPTH keeps recursion shallow
        raise QueryError("La recherche est trop imbriquée.", 0) from None


def only_negative(node: Node) -> bool:
    """True when the node can only exclude (a NOT, or an AND of NOTs): it needs a universe."""
    if isinstance(node, Not):
        return True
    if isinstance(node, And):
        return all(only_negative(c) for c in node.children)
    if isinstance(node, Or):
        return any(only_negative(c) for c in node.children)
    return False


def describe(node: Node | None) -> str:
    """The tree as a canonical query string (for logs, tests and the CLI's --explain)."""
    if node is None:
        return ""
    if isinstance(node, Term):
        field = f"{node.field}:" if node.field else ""
        body = " ".join(node.words)
        if body in OPERATORS and not node.prefix:
            body = f'"{body}"'
        return f"{field}{body}{'*' if node.prefix else ''}"
    if isinstance(node, Phrase):
        field = f"{node.field}:" if node.field else ""
        return f'{field}"{" ".join(node.words)}"'
    if isinstance(node, Not):
        return f"NOT {describe(node.child)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(describe(c) for c in node.children) + ")"
