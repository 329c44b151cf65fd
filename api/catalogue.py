"""The catalogue of problem types: every ``TraceledgerError`` class, described for its ``/problems/<slug>`` page.

The descriptions come from where the errors are defined (a class's own docstring, else its line in the tree drawn
in its module's docstring: ``ledger/errors.py``, ``signer/errors.py``, ``api/errors.py``), so the pages cannot
drift from the code that raises the errors.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import api.errors
import ledger.errors
from signer.errors import TraceledgerError

_PACKAGES = ("signer", "ledger", "api")  # problem types are ours; a class defined elsewhere is not served
# One line of a drawn tree: "├── Name (403)   what it means"; the status is optional, two spaces end the name.
_TREE_LINE = re.compile(r"──\s*([A-Z][A-Za-z]*)(?:\s*\(\d{3}\))?\s{2,}(\S.*)$")
_MODULES = (ledger.errors, api.errors)  # importing them registers every subclass


@dataclass(frozen=True)
class ProblemType:
    slug: str
    title: str
    status: int
    description: str | None
    ancestors: tuple[type[TraceledgerError], ...]  # nearest first, ending at TraceledgerError
    children: tuple[type[TraceledgerError], ...]

    @property
    def uri(self) -> str:
        return type_uri(self.slug)


def type_uri(slug: str) -> str:
    """The ``type`` of a problem document: a relative URI the server also answers with a page."""
    return f"/problems/{slug}"


def _walk(root: type[TraceledgerError]) -> Iterator[type[TraceledgerError]]:
    """The root and every subclass below it, parents before children, each once."""
    seen: set[type[TraceledgerError]] = set()
    pending = [root]
    while pending:
        cls = pending.pop(0)
        if cls in seen:
            continue
        seen.add(cls)
        yield cls
        pending.extend(sorted(cls.__subclasses__(), key=lambda c: c.__qualname__))


def _ours(cls: type[TraceledgerError]) -> bool:
    return cls.__module__.split(".")[0] in _PACKAGES


def _tree_descriptions(cls: type[TraceledgerError]) -> dict[str, str]:
    """Class name → its one-line description in the tree drawn in the docstring of the class's module."""
    doc = getattr(sys.modules.get(cls.__module__), "__doc__", None) or ""
    return {m.group(1): m.group(2).strip() for line in doc.splitlines() if (m := _TREE_LINE.search(line))}


def _sentence(text: str) -> str:
    """A tree note as a sentence: capitalised, without the status hint the page states anyway, full stop."""
    text = re.sub(r"\s*\(\d{3}\)$", "", text)
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _description(cls: type[TraceledgerError]) -> str | None:
    """The class's own docstring, else its note in its module's tree, else that of its nearest described parent."""
    for candidate in cls.__mro__:
        if candidate is TraceledgerError or not issubclass(candidate, TraceledgerError):
            break  # the root's docstring is written for developers, not for the pages
        own = candidate.__dict__.get("__doc__")
        text = " ".join(own.split()) if own else _tree_descriptions(candidate).get(candidate.__name__)
        if text:
            return _sentence(text)
    return None


@cache
def catalogue() -> dict[str, ProblemType]:
    """Slug → problem type, for every error class of our packages (the first class to claim a slug keeps it)."""
    types: dict[str, ProblemType] = {}
    for cls in _walk(TraceledgerError):
        if not _ours(cls) or cls.slug in types:
            continue
        ancestors = tuple(c for c in cls.__mro__[1:] if isinstance(c, type) and issubclass(c, TraceledgerError))
        children = tuple(c for c in cls.__subclasses__() if _ours(c))
        types[cls.slug] = ProblemType(cls.slug, cls.title, cls.status, _description(cls), ancestors, children)
    return types


def _link(slug: str, title: str) -> str:
    return f'<a href="{html.escape(type_uri(slug))}">{html.escape(title)}</a>'


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)} — traceledger</title></head>\n<body>\n{body}</body>\n</html>\n"
    )


def problem_page(problem: ProblemType) -> str:
    """A short HTML page explaining one problem type: what it means, its status, where it sits in the tree."""
    lines = [
        f"<h1>{html.escape(problem.title)}</h1>",
        f"<p>Problem type <code>{html.escape(problem.uri)}</code>, answered with HTTP status {problem.status}.</p>",
    ]
    if problem.description:
        lines.append(f"<p>{html.escape(problem.description)}</p>")
    if problem.ancestors:
        lines.append("<p>A kind of: " + " › ".join(_link(c.slug, c.title) for c in problem.ancestors) + ".</p>")
    if problem.children:
        items = "".join(f"<li>{_link(c.slug, c.title)}</li>" for c in problem.children)
        lines.append(f"<p>More specific types:</p><ul>{items}</ul>")
    lines.append('<p><a href="/problems">Every problem type</a></p>')
    return _page(problem.title, "\n".join(lines) + "\n")


def index_page() -> str:
    """Every problem type, with its status, linking to its page."""
    items = "".join(f"<li>{_link(p.slug, p.title)} ({p.status})</li>" for p in catalogue().values())
    return _page("Problem types", f"<h1>Problem types</h1>\n<ul>{items}</ul>\n")
