"""The Python layer and the compiled docstrings are our own text, not
CPython's: behaviour, names, messages and constants are facts we match,
the code, comments and docstrings are written here (issue 15).

Compared with the ssl.py of every interpreter found on the machine (and the
running host's), Lib/_tls_bootstrap.py may not share

- a run of RUN_LINES or more identical non-trivial lines: blank and
  trivial lines (see is_trivial: nothing but keywords and brackets) are
  left out of both files before comparing, so they neither count nor
  break a run, and whitespace is normalised;
- RUN_WORDS or more consecutive identical words between one of our
  comments or docstrings and one of theirs.

The compiled core's docstrings are held to the second rule against the
running host's _ssl and ssl docstrings.  `python Lib/test/test_own_words.py
[path/to/_tls_bootstrap.py]` prints every finding.
"""
from __future__ import print_function

import glob
import io
import keyword
import os
import re
import sys
import tokenize

import pytest

RUN_LINES = 4
RUN_WORDS = 8

# Lines that the API forces on any implementation, so they may be shared;
# each with its reason.  Compared after whitespace is normalised.
FORCED_LINES = {
    # (none needed so far)
}

_TRIVIAL_NAMES = set(keyword.kwlist) | {"None", "True", "False", "self"}
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\S")


def normalise(line):
    return " ".join(line.split())


def is_trivial(line):
    """A line of nothing but keywords, None/True/False/self and
    punctuation: `else:`, `try:`, `return`, `pass`, `)`, `])`, `return None`,
    `raise`, `finally:`.  Any other name, literal or operator makes it
    non-trivial."""
    for token in _TOKEN.findall(line):
        if token[0].isalpha() or token[0] == "_":
            if token not in _TRIVIAL_NAMES:
                return False
        elif token not in "()[]{}:,":
            return False
    return True


def read_text(path):
    with io.open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def code_lines(text):
    """[(line number, normalised text)] of the lines that count: not
    blank, not trivial, not an API-forced exception."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        line = normalise(line)
        if line and not is_trivial(line) and line not in FORCED_LINES:
            lines.append((number, line))
    return lines


def shared_line_runs(ours, theirs, minimum=RUN_LINES):
    """Maximal runs of at least `minimum` identical lines of code_lines():
    [(our first line, our last line, their first line, count)]."""
    where = {}
    for index, (_, text) in enumerate(theirs):
        where.setdefault(text, []).append(index)
    runs = []
    for i, (_, text) in enumerate(ours):
        for j in where.get(text, ()):
            if i and j and ours[i - 1][1] == theirs[j - 1][1]:
                continue            # not the start of a maximal run
            length = 0
            while (i + length < len(ours) and j + length < len(theirs) and
                   ours[i + length][1] == theirs[j + length][1]):
                length += 1
            if length >= minimum:
                runs.append((ours[i][0], ours[i + length - 1][0],
                             theirs[j][0], length))
    return runs


def prose_blocks(text):
    """The comments (consecutive comment lines joined) and docstrings
    (strings standing alone as a statement) of a Python source, as
    [(line number, text)].  Works on 2.x and 3.x sources alike."""
    blocks = []
    comment, comment_line, last_comment_row = [], 0, -2
    previous = tokenize.NEWLINE
    if not isinstance(text, type(u"")):
        text = text.decode("utf-8")
    readline = io.StringIO(text).readline
    try:
        for token in tokenize.generate_tokens(readline):
            kind, value, (row, _) = token[0], token[1], token[2]
            if kind == tokenize.COMMENT:
                if row != last_comment_row + 1 and comment:
                    blocks.append((comment_line, " ".join(comment)))
                    comment = []
                if not comment:
                    comment_line = row
                comment.append(value.lstrip("#"))
                last_comment_row = row
            elif kind == tokenize.STRING and previous in (
                    tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                blocks.append((row, value))
            if kind not in (tokenize.NL, tokenize.COMMENT):
                previous = kind
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    if comment:
        blocks.append((comment_line, " ".join(comment)))
    return blocks


_WORD = re.compile(r"[a-z0-9_']+")


def words(text):
    return _WORD.findall(text.lower())


def word_runs(blocks, minimum=RUN_WORDS):
    """{tuple of `minimum` words: line} over every block."""
    runs = {}
    for line, text in blocks:
        found = words(text)
        for start in range(len(found) - minimum + 1):
            runs.setdefault(tuple(found[start:start + minimum]), line)
    return runs


def shared_word_runs(our_blocks, their_runs, minimum=RUN_WORDS):
    """[(our line, shared words)] merged into maximal runs."""
    shared = []
    for line, text in our_blocks:
        found = words(text)
        start = 0
        while start <= len(found) - minimum:
            if tuple(found[start:start + minimum]) in their_runs:
                end = start + minimum
                while (end < len(found) and
                       tuple(found[end - minimum + 1:end + 1]) in their_runs):
                    end += 1
                shared.append((line, " ".join(found[start:end])))
                start = end
            else:
                start += 1
    return shared


def host_ssl_sources():
    """ssl.py of the running host and of every pyenv interpreter."""
    import ssl
    paths = set()
    source = getattr(ssl, "__file__", "")
    if source.endswith((".pyc", ".pyo")):
        source = source[:-1]
    if os.path.isfile(source):
        paths.add(os.path.realpath(source))
    roots = [os.path.expanduser("~/.pyenv/versions"), "/root/.pyenv/versions"]
    for root in roots:
        for path in glob.glob(os.path.join(root, "*", "lib", "python*", "ssl.py")):
            paths.add(os.path.realpath(path))
    return sorted(paths)


def our_source():
    import _tls_bootstrap
    path = _tls_bootstrap.__file__
    if path.endswith((".pyc", ".pyo")):
        path = path[:-1]
    return path


def findings(ours_path, their_paths):
    """Every shared line run and word run, as printable lines."""
    ours_text = read_text(ours_path)
    ours_lines = code_lines(ours_text)
    ours_prose = prose_blocks(ours_text)
    found = []
    for path in their_paths:
        theirs_text = read_text(path)
        for first, last, their_first, count in shared_line_runs(
                ours_lines, code_lines(theirs_text)):
            found.append("lines %d-%d (%d non-trivial lines) = %s:%d"
                         % (first, last, count, path, their_first))
        for line, shared in shared_word_runs(
                ours_prose, word_runs(prose_blocks(theirs_text))):
            found.append("words at line %d = %s: %r" % (line, path, shared))
    return found


SOURCES = host_ssl_sources()


@pytest.mark.skipif(not SOURCES, reason="no ssl.py source found on this machine")
@pytest.mark.parametrize("their_path", SOURCES)
def test_python_layer_shares_no_runs_with_ssl_py(their_path):
    assert findings(our_source(), [their_path]) == []


def test_trivial_lines_are_only_keywords_and_brackets():
    for line in ("else:", "try:", "return", "pass", ")", "])", "return None",
                 "finally:", "raise", "break", "return self", "},"):
        assert is_trivial(line), line
    for line in ("return 0", "self._sslobj = None", "raise ValueError",
                 "if x:", "return self._sslobj", "'''", "pass  # noqa"):
        assert not is_trivial(line), line


def test_finder_sees_a_copied_run():
    """The finder itself: four copied lines and eight copied words are
    found, three lines and seven words are not."""
    theirs = "a = 1\nb = 2\nc = 3\nd = 4\n# one two three four five six seven eight\n"
    ours_four = "x\na = 1\n\nb = 2\nelse:\nc = 3\nd = 4\n"
    ours_three = "a = 1\nb = 2\nc = 3\nz = 9\n"
    assert len(shared_line_runs(code_lines(ours_four), code_lines(theirs))) == 1
    assert shared_line_runs(code_lines(ours_three), code_lines(theirs)) == []
    their_runs = word_runs(prose_blocks(theirs))
    assert shared_word_runs(
        prose_blocks("# One two three four five six seven eight nine\n"),
        their_runs) == [(1, "one two three four five six seven eight")]
    assert shared_word_runs(
        prose_blocks('"""one two three four five six seven"""\n'), their_runs) == []


def _compiled_docstrings(module, skip=()):
    """{qualified name: docstring} of a module's types, their methods and
    properties, and its functions.  Objects in `skip` (the host's own,
    such as the exception classes we reuse) and plain values (enum
    members, whose docstring is int's) are left out."""
    docs = {}
    skip_ids = set(id(value) for value in skip)
    for name in dir(module):
        value = getattr(module, name)
        if id(value) in skip_ids or isinstance(value, (int, float, str, bytes)):
            continue
        if isinstance(value, type):
            if value.__doc__:
                docs[name] = value.__doc__
            for attribute, member in vars(value).items():
                if attribute.startswith("__") or isinstance(
                        member, (int, float, str, bytes)):
                    continue
                doc = getattr(member, "__doc__", None)
                if doc:
                    docs["%s.%s" % (name, attribute)] = doc
        elif callable(value) and getattr(value, "__doc__", None):
            docs[name] = value.__doc__
    return docs


def _host_compiled_docstrings():
    docs = {}
    import ssl
    modules = [ssl]
    try:
        import _ssl
        modules.append(_ssl)
    except ImportError:
        pass
    for module in modules:
        for name, doc in _compiled_docstrings(module).items():
            docs[module.__name__ + "." + name] = doc
    return docs


def test_compiled_docstrings_are_not_the_host_ssl_docstrings():
    import ssl
    import _tls_bootstrap_core
    theirs = word_runs(list(_host_compiled_docstrings().items()))
    host_objects = list(vars(ssl).values())
    shared = []
    modules = [_tls_bootstrap_core, _tls_bootstrap_core.crypto,
               _tls_bootstrap_core.rand]
    for module in modules:
        for name, doc in sorted(_compiled_docstrings(module, host_objects).items()):
            for _, run in shared_word_runs([(name, doc)], theirs):
                shared.append((module.__name__ + "." + name, run))
    assert shared == []


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else our_source()
    for finding in findings(target, SOURCES):
        print(finding)
