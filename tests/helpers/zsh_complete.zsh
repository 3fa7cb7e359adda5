#!/usr/bin/env zsh
# SPDX-License-Identifier: MIT
# Prints what zsh's completion offers for each command line given, one match
# a line, each line's matches sorted and ended by an empty line:
#   zsh -f zsh_complete.zsh FPATH_DIR 'daemonkit st' 'daemonkit stop ' ...
# zsh completes only inside its line editor, so this runs an interactive zsh
# on a pseudo-terminal (zsh/zpty) with FPATH_DIR first in $fpath and
# compinit loaded, types each line and TAB there, and reports every match a
# completion function handed to compadd for that TAB (through compadd -O,
# which adds nothing). The markers are typed split in two ("<""m>") so that
# the shell's echo of what is typed never looks like output. A test's
# timeout bounds the reads, which wait for each marker.
emulate -L zsh
zmodload zsh/zpty || exit 2
(( $# >= 2 )) || { print -u2 "usage: zsh_complete.zsh FPATH_DIR LINE..."; exit 2 }
zpty dk zsh -f -i || exit 2
zpty -w dk 'PS1= RPS1= PS2=; unsetopt auto_list list_beep beep auto_menu'
zpty -w dk "fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w dk 'compadd() { local -a m; builtin compadd -O m "$@"; (( $#m )) && print -rl -- "<""m>"${^m}; builtin compadd "$@" }'
# ^Y (no tty driver character) ends a line's completion: it prints <done>
# and empties the line for the next one, all inside the line editor.
zpty -w dk 'dk-done() { print -r -- "<""done>"; BUFFER= }; zle -N dk-done; bindkey "^Y" dk-done'
# The line editor says when it reads a line: only then is the terminal in
# its raw mode, where what is typed is keys (in the tty driver's line mode it
# would wait for a newline, and ^U would erase it).
zpty -w dk 'dk-init() { print -r -- "<""editing>" }; zle -N zle-line-init dk-init; print -r -- "<""ready>"'

local out
while zpty -r dk out; do
  [[ $out == *'<ready>'* ]] && break
done
while zpty -r dk out; do
  [[ $out == *'<editing>'* ]] && break
done
local line
local -a matches
for line in ${@[2,-1]}; do
  zpty -w -n dk "$line"$'\t\x19'
  matches=()
  while zpty -r dk out; do
    out=${${out//$'\r'/}%$'\n'}
    [[ $out == *'<done>'* ]] && break
    [[ $out == *'<m>'* ]] && matches+=("${out#*<m>}")
  done
  (( $#matches )) && print -rl -- ${(ou)matches}
  print
done
zpty -d dk
