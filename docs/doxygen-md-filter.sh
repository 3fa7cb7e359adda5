#!/bin/sh
# SPDX-License-Identifier: MIT
# Doxygen's input filter for docs/*.md (FILTER_PATTERNS in Doxyfile.in).
# The pages link to their own headings the way GitHub names them
# ("[...](#signals-stop-and-reload)"); Doxygen 1.9 gives headings no such
# ids, and its ids are global to all pages. So every heading below the title
# gets GitHub's id prefixed with the page's name, written the way Doxygen
# reads one ("## Signals, stop and reload {#library-signals-stop-and-reload}"),
# and every "](#id)" link on the page gets the same prefix. GitHub's id: the
# heading's text in lower case, without what is not a letter, digit, space,
# '-' or '_', spaces turned into '-'; "-1", "-2" after a repeat.
# Lines stay where they are (Doxygen's messages cite them); fenced code blocks
# are left alone.
page=$(basename "$1" .md | tr 'A-Z' 'a-z')
exec awk -v page="$page" '
/^(```|~~~)/ { fence = !fence; print; next }
fence { print; next }
/^##+ / && !/\{#[^}]*\} *$/ {
  text = $0
  sub(/^#+ +/, "", text)
  id = tolower(text)
  gsub(/[^a-z0-9 _-]/, "", id)
  gsub(/ /, "-", id)
  n = seen[id]++
  if (n > 0) id = id "-" n
  print $0 " {#" page "-" id "}"
  next
}
{
  gsub(/\]\(#/, "](#" page "-")
  print
}
' "$1"
