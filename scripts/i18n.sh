#!/bin/sh
# Translations (`make messages`): extract every marked string of the code and templates into
# locale/nl/LC_MESSAGES/django.po, compile django.mo, and list what still needs a translation.
#
# After it: translate each entry it lists (new ones have an empty msgstr, changed ones are marked
# "#, fuzzy": check the text, then delete that flag), run it again, and commit the .po and .mo
# together. tests/test_i18n.py fails while an entry is untranslated or fuzzy, or the .mo is stale.
# Needs GNU gettext (Debian: apt-get install gettext). Nothing connects to the database.
set -eu
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
export DEBUG=1
export DATABASE_URL="${DATABASE_URL:-postgres://i18n@localhost/i18n}"

if ! command -v msgfmt >/dev/null 2>&1; then
  echo "GNU gettext is missing (msgfmt): apt-get install gettext" >&2
  exit 1
fi
IGNORE="--ignore=.venv --ignore=var --ignore=.devdata --ignore=bench --ignore=tests --ignore=artifacts"
# --add-location=file: the references name files, not line numbers, so that editing a template
# does not change every entry below it.
# shellcheck disable=SC2086
"$PY" manage.py makemessages -l nl --no-obsolete --add-location=file $IGNORE
# shellcheck disable=SC2086
"$PY" manage.py compilemessages -l nl $IGNORE
"$PY" - <<'PYEOF'
from babel.messages.pofile import read_po

path = "locale/nl/LC_MESSAGES/django.po"
with open(path, "rb") as f:
    catalog = read_po(f)
todo = []
for message in catalog:
    if not message.id:
        continue
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if message.fuzzy or not all(strings):
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        todo.append(("fuzzy" if message.fuzzy else "new", msgid))
if todo:
    print(f"{path}: {len(todo)} entries to translate:")
    for kind, msgid in todo:
        print(f"  [{kind}] {msgid}")
else:
    print(f"{path}: every entry is translated.")
PYEOF
