# SPDX-License-Identifier: MIT
# bash completion for daemonkit(1): its commands, their options, the values
# of those options, the services in the state directory (from
# `daemonkit list --names`, honouring a --state-dir on the line), and for up
# and down the services of the services file (its [services.NAME] headers,
# in the -f FILE on the line or ./daemonkit.toml).
#
# Needs bash alone (COMP_WORDS, compgen, compopt): bash-completion, when
# installed, loads this file on demand from
# /usr/share/bash-completion/completions/daemonkit; without it, source it
# from ~/.bashrc.

_daemonkit_commands='start run stop restart reload signal reopen status list remove logs help unit
  check up down import'

# start's options, shared by run and unit.
_daemonkit_start_options='--name --log-file --stdout --stderr --log-max-size --log-keep --timestamps
  --ready --ready-timeout --stop-signal --stop-timeout --kill-mode --reload-signal --reload-timeout
  --check-config --health --health-interval --health-timeout --health-retries --runtime-dir
  --respawn --respawn-min-uptime --respawn-max-delay --respawn-limit --respawn-window
  --chdir --umask --user --chroot --env --env-file --clear-env --nice --rlimit'

# The signal names the tool parses (src/signal_name.cpp); SIGTERM and 15
# are accepted too.
_daemonkit_signals='HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD
  CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO SYS RTMIN RTMAX'

_daemonkit_rlimits='as core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime
  sigpending stack'

# The options of command $1.
_daemonkit_options() {
  local common='--state-dir --log-dir -h --help'
  case $1 in
    start) echo "$_daemonkit_start_options $common" ;;
    run) echo "$_daemonkit_start_options --signal-group --no-state $common" ;;
    unit) echo "$_daemonkit_start_options --user-unit --install --unit-name --unit-dir -f --file $common" ;;
    stop) echo "--timeout $common" ;;
    status) echo "--json -f --file $common" ;;
    list) echo "--json --names -f --file $common" ;;
    check | down) echo "-f --file $common" ;;
    up) echo "-f --file --dry-run --remove-orphans $common" ;;
    logs) echo "-n --lines -f --follow $common" ;;
    help) echo '-h --help' ;;
    *) echo "$common" ;;
  esac
}

# Whether option $1 of command $2 takes a value (in the next word, or after
# '='). --respawn's value is optional: the caller looks at the word after it.
# -f is logs's --follow, and everywhere else --file FILE.
_daemonkit_takes_value() {
  case $1 in
    -h | --help | --version | --timestamps | --clear-env | --json | --names | --follow | --install | \
      --user-unit | --respawn | --dry-run | --remove-orphans) return 1 ;;
    -f) [[ $2 != logs ]] ;;
    *) return 0 ;;
  esac
}

# Sets words and cword from COMP_WORDS and COMP_CWORD, with what bash cut
# apart at COMP_WORDBREAKS (':', '=', '@') put back together ("tcp:8080",
# "--ready=notify", "getty@tty1"): the words as daemonkit will see them. Only COMP_LINE
# tells "a:b" from "a : b"; without it, or when it does not match the words,
# the words are taken as they are. word_at maps a word to its COMP_WORDS index.
_daemonkit_split() {
  words=() word_at=() cword=$COMP_CWORD
  local line=${COMP_LINE-} pos=0 i n=-1 w gap
  if [[ -n $line ]]; then
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
      w=${COMP_WORDS[i]}
      gap=0
      while [[ ${line:pos:1} == [[:space:]] ]]; do
        pos=$((pos + 1)) gap=1
      done
      # An empty word is the cursor's, between blanks: it joins nothing.
      [[ -z $w ]] && gap=1
      if [[ ${line:pos:${#w}} != "$w" ]]; then
        n=-1
        break
      fi
      pos=$((pos + ${#w}))
      if ((n < 0 || gap)); then
        n=$((n + 1))
        words[n]=$w word_at[n]=$i
      else
        words[n]+=$w
      fi
      ((i == COMP_CWORD)) && cword=$n
    done
    ((n >= 0)) && return
  fi
  words=("${COMP_WORDS[@]}") cword=$COMP_CWORD word_at=()
  for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do word_at[i]=$i; done
}

# Adds the words of list $1 that start with $2 (each prefixed with $3).
_daemonkit_add() {
  local w
  while IFS= read -r w; do
    [[ -n $w ]] && COMPREPLY+=("$3$w")
  done < <(compgen -W "$1" -- "$2")
}

# Adds the output lines of `compgen $1 -- $2` (each prefixed with $3), each
# once (compgen -c lists a command once per directory of $PATH holding it).
_daemonkit_add_compgen() {
  local w
  local -A seen=()
  while IFS= read -r w; do
    [[ -n $w && -z ${seen[$w]-} ]] && COMPREPLY+=("$3$w") && seen[$w]=1
  done < <(compgen "$1" -- "$2")
}

# The services in the state directory: the one named by --state-dir on the
# line ($1), else the tool's default (root's or this user's, or
# $DAEMONKIT_STATE_DIR).
_daemonkit_services() {
  local dir=$1 prog=daemonkit
  # A path typed as the command (./build/.../daemonkit) is the tool asked for.
  [[ ${words[0]} == */* && -x ${words[0]/#\~/$HOME} ]] && prog=${words[0]/#\~/$HOME}
  local -a args=(list --names)
  if [[ -n $dir ]]; then
    # Quotes and a leading ~ as the shell will take them (nothing is expanded
    # beyond that: completing runs nothing the line says).
    [[ $dir == \"*\" || $dir == \'*\' ]] && dir=${dir:1:${#dir}-2}
    args+=(--state-dir "${dir/#\~/$HOME}")
  fi
  command "$prog" "${args[@]}" 2>/dev/null
}

# The services of services file $1 (default ./daemonkit.toml): the NAMEs of
# its [services.NAME] and [services.NAME.TABLE] headers, bare or quoted, one
# a line, each once. A plain reading of the headers, not a TOML parser: it
# runs nothing and needs nothing but sed.
_daemonkit_file_services() {
  local file=${1:-daemonkit.toml}
  [[ $file == \"*\" || $file == \'*\' ]] && file=${file:1:${#file}-2}
  file=${file/#\~/$HOME}
  [[ -f $file && -r $file ]] || return 0
  sed -nE "s/^[[:space:]]*\[[[:space:]]*services[[:space:]]*\.[[:space:]]*(\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+))[[:space:]]*[].].*/\2\3\4/p" \
    -- "$file" 2>/dev/null | grep -xE '[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}' | sort -u
}

# Completes the value of option $1 from $2 (prefixing each with $3).
_daemonkit_value() {
  local opt=$1 cur=$2 pre=$3
  case $opt in
    --state-dir | --log-dir | --chdir | --chroot | --unit-dir)
      compopt -o filenames 2>/dev/null
      _daemonkit_add_compgen -d "$cur" "$pre"
      ;;
    --log-file | --stdout | --stderr | --env-file)
      compopt -o filenames 2>/dev/null
      _daemonkit_add_compgen -f "$cur" "$pre"
      ;;
    -f | --file)
      # *.toml files, and directories to find them in.
      compopt -o filenames 2>/dev/null
      local w
      local -A seen=()
      while IFS= read -r w; do
        [[ -n $w && -z ${seen[$w]-} ]] && COMPREPLY+=("$pre$w") && seen[$w]=1
      done < <(compgen -d -- "$cur"; compgen -f -X '!*.toml' -- "$cur")
      ;;
    --ready | --health)
      case $cur in
        pidfile:*)
          [[ $opt == --ready ]] || return
          compopt -o filenames 2>/dev/null
          _daemonkit_add_compgen -f "${cur#pidfile:}" "${pre}pidfile:"
          ;;
        cmd:*) _daemonkit_add_compgen -c "${cur#cmd:}" "${pre}cmd:" ;;
        *)
          local modes='tcp: http:// cmd:'
          [[ $opt == --ready ]] && modes="exec notify fd: pidfile: $modes"
          _daemonkit_add "$modes" "$cur" "$pre"
          # "tcp:" and "http://" go on without a space.
          local m
          for m in "${COMPREPLY[@]}"; do
            [[ $m == *[:/] ]] && compopt -o nospace 2>/dev/null
          done
          ;;
      esac
      ;;
    --stop-signal | --reload-signal | signal)
      local names=$_daemonkit_signals
      [[ $opt == --reload-signal ]] && names+=' none'
      if [[ $cur == SIG* ]]; then
        local n
        names=$(for n in $_daemonkit_signals; do printf 'SIG%s ' "$n"; done)
      fi
      _daemonkit_add "$names" "$cur" "$pre"
      ;;
    --kill-mode) _daemonkit_add 'group process mixed' "$cur" "$pre" ;;
    --respawn) _daemonkit_add 'always on-failure' "$cur" "$pre" ;;
    --user)
      if [[ $cur == *:* ]]; then
        _daemonkit_add_compgen -g "${cur#*:}" "$pre${cur%%:*}:"
      else
        _daemonkit_add_compgen -u "$cur" "$pre"
      fi
      ;;
    --check-config) _daemonkit_add_compgen -c "$cur" "$pre" ;;
    --env)
      if [[ $cur != *=* ]]; then
        _daemonkit_add_compgen -e "$cur" "$pre"
        COMPREPLY=("${COMPREPLY[@]/%/=}")
        compopt -o nospace 2>/dev/null
      fi
      ;;
    --rlimit)
      if [[ $cur != *=* ]]; then
        _daemonkit_add "$_daemonkit_rlimits" "$cur" "$pre"
        COMPREPLY=("${COMPREPLY[@]/%/=}")
        compopt -o nospace 2>/dev/null
      fi
      ;;
  esac
}

# The service's own command line, from word $1 on (start, run, unit).
_daemonkit_service_command() {
  local first=$1
  if declare -F _command_offset >/dev/null; then
    # bash-completion's: the command's own completion for its arguments.
    _command_offset "${word_at[first]}"
    return
  fi
  if ((cword == first)); then
    _daemonkit_add_compgen -c "$cur" ''
  else
    compopt -o filenames 2>/dev/null
    _daemonkit_add_compgen -f "$cur" ''
  fi
}

_daemonkit() {
  local -a words word_at
  local cword
  _daemonkit_split
  local cur=${words[cword]}
  COMPREPLY=()

  local i w cmd='' cmd_at=0
  for ((i = 1; i < cword; i++)); do
    if [[ ${words[i]} != -* ]]; then
      cmd=${words[i]} cmd_at=$i
      break
    fi
  done

  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      _daemonkit_add '-h --help --version' "$cur" ''
    else
      _daemonkit_add "$_daemonkit_commands" "$cur" ''
    fi
  else
    # What the words between the command and the cursor say: the state
    # directory, the services file, the positional arguments, where the
    # service's command starts.
    local state_dir='' file='' opt='' command_at=0
    local -a positionals=()
    for ((i = cmd_at + 1; i < cword; i++)); do
      w=${words[i]}
      if [[ -n $opt ]]; then
        [[ $opt == --state-dir ]] && state_dir=$w
        [[ $opt == -f || $opt == --file ]] && file=$w
        opt=''
        continue
      fi
      case $w in
        --)
          command_at=$((i + 1))
          break
          ;;
        --state-dir=*) state_dir=${w#*=} ;;
        --file=*) file=${w#*=} ;;
        --respawn)
          # Its optional value, when the next word is one (main.cpp's rule).
          case ${words[i + 1]} in
            always | on-failure | never) ((i + 1 < cword)) && i=$((i + 1)) ;;
          esac
          ;;
        --*=*) ;;
        -?*) _daemonkit_takes_value "$w" "$cmd" && opt=$w ;;
        *)
          if [[ $cmd == start || $cmd == run ]]; then
            command_at=$i
            break
          fi
          positionals+=("$w")
          ;;
      esac
    done

    if ((command_at > 0)); then
      _daemonkit_service_command "$command_at"
    elif [[ -n $opt ]]; then
      _daemonkit_value "$opt" "$cur" ''
    elif [[ $cur == --*=* ]]; then
      _daemonkit_value "${cur%%=*}" "${cur#*=}" "${cur%%=*}="
    elif [[ $cur == -* ]]; then
      _daemonkit_add "$(_daemonkit_options "$cmd")" "$cur" ''
    elif [[ $cmd_at -lt $((cword - 1)) && ${words[cword - 1]} == --respawn ]]; then
      _daemonkit_value --respawn "$cur" ''
      # Else the word is start's command (`start --respawn sleep 9`).
      ((${#COMPREPLY[@]} == 0)) && [[ -n $cur && $cmd != unit ]] && _daemonkit_service_command "$cword"
    else
      local n=${#positionals[@]}
      case $cmd in
        start | run) _daemonkit_service_command "$cword" ;;
        stop | restart | reload | reopen | logs | unit)
          ((n == 0)) && _daemonkit_add "$(_daemonkit_services "$state_dir")" "$cur" ''
          ;;
        signal)
          if ((n == 0)); then
            _daemonkit_add "$(_daemonkit_services "$state_dir")" "$cur" ''
          elif ((n == 1)); then
            _daemonkit_value signal "$cur" ''
          fi
          ;;
        status | remove)
          # Each service once.
          local name given
          for name in $(_daemonkit_services "$state_dir"); do
            for given in "${positionals[@]}"; do
              [[ $name == "$given" ]] && continue 2
            done
            [[ $name == "$cur"* ]] && COMPREPLY+=("$name")
          done
          ;;
        up | down)
          # The file's services, each once.
          local name given
          for name in $(_daemonkit_file_services "$file"); do
            for given in "${positionals[@]}"; do
              [[ $name == "$given" ]] && continue 2
            done
            [[ $name == "$cur"* ]] && COMPREPLY+=("$name")
          done
          ;;
        import)
          if ((n == 0)); then
            compopt -o filenames 2>/dev/null
            _daemonkit_add_compgen -f "$cur" ''
          fi
          ;;
        help) ((n == 0)) && _daemonkit_add "$_daemonkit_commands" "$cur" '' ;;
      esac
    fi
  fi

  # Readline replaces only what follows the word's last ':', '=' or '@' when
  # COMP_WORDBREAKS holds them: the replies lose what the word already has.
  local breaks='' pre c
  for c in : = @; do
    [[ $COMP_WORDBREAKS == *"$c"* ]] && breaks+=$c
  done
  if [[ -n $breaks && $cur == *["$breaks"]* ]]; then
    pre=${cur%"${cur##*["$breaks"]}"}
    COMPREPLY=("${COMPREPLY[@]#"$pre"}")
  fi
  return 0
}

complete -F _daemonkit daemonkit
