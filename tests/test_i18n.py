"""Every text a user can see has its English translation (msgids are the Indonesian text)."""

import ast
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_every_message_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-o",
            str(pot),
            str(ROOT),
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (m.string if isinstance(m.string, str) else all(m.string)) and not m.fuzzy
    }
    missing = sorted(wanted - translated)
    assert not missing, (
        f"{len(missing)} texts lack English (run `make extract-messages`, translate): {missing[:10]}"
    )


GETTEXT_NAMES = {"_", "_l", "gettext", "lazy_gettext", "ngettext"}


def _untranslatable_calls(source: str, filename: str) -> list[str]:
    """Gettext calls whose text Babel cannot extract: anything but a string literal first."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in GETTEXT_NAMES:
            continue
        first = node.args[0] if node.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_the_untranslatable_call_check_catches_a_variable():
    source = 'MESSAGE = "Teks"\n_(MESSAGE)\n_l(f"Teks {x}")\ngettext("Teks")\nngettext("satu", "banyak", n)\n'
    assert _untranslatable_calls(source, "x.py") == ["x.py:2: _(MESSAGE)", "x.py:3: _l(f'Teks {x}')"]


def test_every_gettext_call_in_slrt_has_a_literal_text():
    found = [
        problem
        for path in sorted((ROOT / "slrt").rglob("*.py"))
        for problem in _untranslatable_calls(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, f"Babel cannot extract these (use a literal, `_l()` at module level): {found}"
