# SPDX-License-Identifier: MIT
# fish completion for daemonkit(1): its commands, their options, the values
# of those options, the services in the state directory (from
# `daemonkit list --names`, honouring a --state-dir on the line), and for up
# and down the services of the services file (its [services.NAME] headers,
# in the -f FILE on the line or ./daemonkit.toml).
# fish finds it in vendor_completions.d by itself.

# Reads the line before the cursor as daemonkit will and prints four lines:
# the command (start, stop, ...; empty before one), how many positional
# arguments it has, "command" when the cursor is in the service's own
# command line (after "--", or from start's or run's first positional word
# on) or else "options", and the index (in commandline -opc's tokens) of
# the service command's first word.
function __daemonkit_parse
    # The options that take a value in the next word (--respawn's is optional).
    set -l value_options --name --log-file --stdout --stderr --log-max-size --log-keep --ready \
        --ready-timeout --stop-signal --stop-timeout --kill-mode --reload-signal --reload-timeout \
        --check-config --health --health-interval --health-timeout --health-retries --runtime-dir \
        --respawn-min-uptime --respawn-max-delay --respawn-limit --respawn-window --chdir --umask \
        --user --chroot --env --env-file --nice --rlimit --state-dir --log-dir --timeout -n --lines \
        --unit-name --unit-dir --file
    set -l tokens (commandline -opc)
    set -l cmd
    set -l positionals 0
    set -l skip none
    for i in (seq 2 (count $tokens))
        set -l t $tokens[$i]
        if test -z "$cmd"
            string match -q -- '-*' $t; or set cmd $t
            continue
        end
        if test $skip = value
            set skip none
            continue
        else if test $skip = respawn
            set skip none
            contains -- $t always on-failure never; and continue
        end
        switch $t
            case --
                printf '%s\n' $cmd $positionals command (math $i + 1)
                return
            case --respawn
                set skip respawn
            case '--*=*'
            case -f
                # logs's --follow; everywhere else --file FILE.
                test "$cmd" = logs; or set skip value
            case '-*'
                contains -- $t $value_options; and set skip value
            case '*'
                if contains -- $cmd start run
                    printf '%s\n' $cmd $positionals command $i
                    return
                end
                set positionals (math $positionals + 1)
        end
    end
    printf '%s\n' "$cmd" $positionals options 0
end

# True before the command.
function __daemonkit_no_command
    set -l p (__daemonkit_parse)
    test -z "$p[1]"
end

# True when the command is one of $argv and the cursor is among its options.
function __daemonkit_using
    set -l p (__daemonkit_parse)
    test "$p[3]" = options; and contains -- "$p[1]" $argv
end

# True when the command is $argv[1] and has $argv[2] positional arguments.
function __daemonkit_argument
    set -l p (__daemonkit_parse)
    test "$p[3]" = options -a "$p[1]" = "$argv[1]" -a "$p[2]" = "$argv[2]"
end

# True right after a --respawn, whose value is optional.
function __daemonkit_after_respawn
    set -l tokens (commandline -opc)
    test "$tokens[-1]" = --respawn; and __daemonkit_using start run unit
end

# True when the cursor is in the service's own command line.
function __daemonkit_in_service_command
    set -l p (__daemonkit_parse)
    test "$p[3]" = command
end

# The service's command line completed as if it were typed alone.
function __daemonkit_service_command
    set -l tokens (commandline -opc)
    set -l first (__daemonkit_parse)[4]
    set -l line (string escape -- $tokens[$first..-1]) (commandline -ct)
    complete -C (string join ' ' -- $line)
end

# The services in the state directory, from the tool the line runs.
function __daemonkit_services
    set -l tokens (commandline -opc)
    set -l prog daemonkit
    if string match -q -- '*/*' $tokens[1]; and test -x $tokens[1]
        set prog $tokens[1]
    end
    set -l args list --names
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case --state-dir
                set -l next (math $i + 1)
                test $next -le (count $tokens); and set args list --names --state-dir $tokens[$next]
            case '--state-dir=*'
                set args list --names --state-dir (string replace -- --state-dir= '' $tokens[$i])
        end
    end
    # A leading ~ as the shell will expand it (the tokens come unexpanded).
    set args (string replace -r -- '^~/' "$HOME/" $args)
    command -q $prog; and command $prog $args 2>/dev/null
end

# The services not named yet on the line (status, remove).
function __daemonkit_other_services
    set -l tokens (commandline -opc)
    for name in (__daemonkit_services)
        contains -- $name $tokens; or echo $name
    end
end

# The services of the services file: the -f/--file on the line, else
# ./daemonkit.toml; the NAMEs of its [services.NAME] and
# [services.NAME.TABLE] headers, bare or quoted, those not on the line yet.
# A plain reading of the headers with sed, not a TOML parser.
function __daemonkit_file_services
    set -l tokens (commandline -opc)
    set -l file daemonkit.toml
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case -f --file
                set -l next (math $i + 1)
                test $next -le (count $tokens); and set file $tokens[$next]
            case '--file=*'
                set file (string replace -- --file= '' $tokens[$i])
        end
    end
    # A leading ~ as the shell will expand it (the tokens come unexpanded).
    set file (string replace -r -- '^~/' "$HOME/" $file)
    test -f "$file" -a -r "$file"; or return 0
    for name in (sed -nE "s/^[[:space:]]*\[[[:space:]]*services[[:space:]]*\.[[:space:]]*(\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+))[[:space:]]*[].].*/\2\3\4/p" \
            -- $file 2>/dev/null | string match -r -- '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$' | sort -u)
        contains -- $name $tokens[3..-1]; or echo $name
    end
end

# -f's values: *.toml files, and directories to find them in.
function __daemonkit_toml_files
    set -l value (string replace -r -- '^--file=' '' (commandline -ct))
    for f in (__fish_complete_path $value)
        string match -q -r -- '(/|\.toml)$' (string replace -r -- '\t.*' '' $f); and echo $f
    end
end

# --ready's and --health's values: a mode, a check's scheme, or the PATH of
# pidfile:PATH.
function __daemonkit_ready_values
    set -l value (string replace -r -- '^--[a-z-]+=' '' (commandline -ct))
    switch $value
        case 'pidfile:*'
            set -l path (string replace -- pidfile: '' $value)
            printf 'pidfile:%s\n' (__fish_complete_path $path)
        case 'cmd:*'
            printf 'cmd:%s\n' (complete -C (string replace -- cmd: '' $value))
        case '*'
            printf '%s\n' exec\t'ready once started (the default)' notify\t'sd_notify READY=1' \
                fd:\t'a newline on fd N' pidfile:\t'the command daemonizes; PATH names its main process' \
                tcp:\t'a TCP port accepts' http://\t'an HTTP GET succeeds' cmd:\t'a command exits 0'
    end
end

function __daemonkit_signals
    set -l names HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD \
        CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO SYS RTMIN RTMAX
    if string match -q -- 'SIG*' (string replace -r -- '^--[a-z-]+=' '' (commandline -ct))
        printf 'SIG%s\n' $names
    else
        printf '%s\n' $names
    end
end

# USER or USER:GROUP.
function __daemonkit_users
    set -l value (string replace -r -- '^--user=' '' (commandline -ct))
    if string match -q -- '*:*' $value
        set -l user (string split -m1 : -- $value)[1]
        printf "$user:%s\n" (__fish_complete_groups | string replace -r '\t.*' '')
    else
        __fish_complete_users
    end
end

complete -c daemonkit -f

# The commands.
complete -c daemonkit -n __daemonkit_no_command -a start -d 'Start COMMAND as a supervised daemon'
complete -c daemonkit -n __daemonkit_no_command -a run -d 'Supervise COMMAND in the foreground'
complete -c daemonkit -n __daemonkit_no_command -a stop -d 'Stop a service and wait until it is gone'
complete -c daemonkit -n __daemonkit_no_command -a restart -d 'Stop a service, start it again'
complete -c daemonkit -n __daemonkit_no_command -a reload -d "Send a service its reload signal"
complete -c daemonkit -n __daemonkit_no_command -a signal -d "Send a signal to a service's main process"
complete -c daemonkit -n __daemonkit_no_command -a reopen -d "Make a service's monitor reopen its logs"
complete -c daemonkit -n __daemonkit_no_command -a status -d 'Show services'
complete -c daemonkit -n __daemonkit_no_command -a list -d 'List every service'
complete -c daemonkit -n __daemonkit_no_command -a remove -d 'Forget services that are not running'
complete -c daemonkit -n __daemonkit_no_command -a logs -d "Show a service's log"
complete -c daemonkit -n __daemonkit_no_command -a help -d 'Show help for a command'
complete -c daemonkit -n __daemonkit_no_command -a unit -d 'Print a systemd unit for a service'
complete -c daemonkit -n __daemonkit_no_command -a check -d 'Check a services file'
complete -c daemonkit -n __daemonkit_no_command -a up -d "Start a services file's services, restart what changed"
complete -c daemonkit -n __daemonkit_no_command -a down -d "Stop a services file's services, dependants first"
complete -c daemonkit -n __daemonkit_no_command -a import -d 'Print a services file for a supervisord config or Procfile'
complete -c daemonkit -n __daemonkit_no_command -s h -l help -d 'Show help'
complete -c daemonkit -n __daemonkit_no_command -l version -d 'Show the version'

# Every command's -h and state and log directories.
set -l all start run stop restart reload signal reopen status list remove logs unit check up down import
complete -c daemonkit -n "__daemonkit_using $all help" -s h -l help -d 'Show help'
complete -c daemonkit -n "__daemonkit_using $all" -l state-dir -x -a '(__fish_complete_directories)' -d 'State directory'
complete -c daemonkit -n "__daemonkit_using $all" -l log-dir -x -a '(__fish_complete_directories)' -d 'Log directory'

# run's own options.
complete -c daemonkit -n '__daemonkit_using run' -l signal-group -d "Forward signals to the service's process group"
complete -c daemonkit -n '__daemonkit_using run' -l no-state -d 'No pidfile and no state files'

# start's options, and run's and unit's.
set -l s '__daemonkit_using start run unit'
complete -c daemonkit -n $s -l name -x -d 'Service name'
complete -c daemonkit -n $s -l log-file -r -F -d 'Log file for stdout and stderr'
complete -c daemonkit -n $s -l stdout -r -F -d 'Log file for stdout'
complete -c daemonkit -n $s -l stderr -r -F -d 'Log file for stderr'
complete -c daemonkit -n $s -l log-max-size -x -d 'Rotate the log at this size'
complete -c daemonkit -n $s -l log-keep -x -d 'Rotated logs to keep'
complete -c daemonkit -n $s -l timestamps -d 'Prefix each log line with the time'
complete -c daemonkit -n $s -l ready -x -a '(__daemonkit_ready_values)' -d 'Readiness'
complete -c daemonkit -n $s -l ready-timeout -x -d 'How long start waits for readiness'
complete -c daemonkit -n $s -l stop-signal -x -a '(__daemonkit_signals)' -d 'Signal that stops the service'
complete -c daemonkit -n $s -l stop-timeout -x -d 'Wait after the stop signal before SIGKILL'
complete -c daemonkit -n $s -l kill-mode -x -a 'group\t"every process of the service" process\t"the main process" mixed\t"the stop signal to the main process, SIGKILL to all"' -d 'Which processes stop signals'
complete -c daemonkit -n $s -l reload-signal -x -a '(__daemonkit_signals) none' -d 'Signal sent by reload'
complete -c daemonkit -n $s -l reload-timeout -x -d 'reload fails if the service exits within this time'
complete -c daemonkit -n $s -l check-config -x -a '(__fish_complete_command)' -d 'Command run before reload and restart'
complete -c daemonkit -n $s -l health -x -a '(__daemonkit_ready_values | string match -r "^(tcp|http|cmd).*")' -d 'Liveness check'
complete -c daemonkit -n $s -l health-interval -x -d 'Time between health checks'
complete -c daemonkit -n $s -l health-timeout -x -d 'Longest a health check may take'
complete -c daemonkit -n $s -l health-retries -x -d 'Failures in a row that make it unhealthy'
complete -c daemonkit -n $s -l runtime-dir -x -d 'Make a runtime directory for the service'
complete -c daemonkit -n $s -l respawn -d 'Restart the service when it exits'
complete -c daemonkit -n $s -l respawn-min-uptime -x -d 'A run this long restarts at once'
complete -c daemonkit -n $s -l respawn-max-delay -x -d 'Longest backoff between restarts'
complete -c daemonkit -n $s -l respawn-limit -x -d 'Give up after N starts within --respawn-window'
complete -c daemonkit -n $s -l respawn-window -x -d 'Window for --respawn-limit'
complete -c daemonkit -n $s -l chdir -x -a '(__fish_complete_directories)' -d 'Working directory'
complete -c daemonkit -n $s -l umask -x -d 'umask, octal'
complete -c daemonkit -n $s -l user -x -a '(__daemonkit_users)' -d 'Run as USER[:GROUP]'
complete -c daemonkit -n $s -l chroot -x -a '(__fish_complete_directories)' -d 'chroot to DIR'
complete -c daemonkit -n $s -l env -x -a '(set -xn | string replace -r "\$" =)' -d 'Set KEY=VALUE'
complete -c daemonkit -n $s -l env-file -r -F -d 'Read KEY=VALUE lines from FILE'
complete -c daemonkit -n $s -l clear-env -d 'Start from an empty environment'
complete -c daemonkit -n $s -l nice -x -d 'Niceness adjustment'
complete -c daemonkit -n $s -l rlimit -x -a 'as= core= cpu= data= fsize= locks= memlock= msgqueue= nice= nofile= nproc= rss= rtprio= rttime= sigpending= stack=' -d 'Resource limit NAME=VALUE[:HARD]'
complete -c daemonkit -n '__daemonkit_using unit' -l user-unit -d 'A unit for your own systemd manager'
complete -c daemonkit -n '__daemonkit_using unit' -l install -d 'Write the unit, then systemctl daemon-reload'
complete -c daemonkit -n '__daemonkit_using unit' -l unit-name -x -d "With --install: the unit's file name"
complete -c daemonkit -n '__daemonkit_using unit' -l unit-dir -x -a '(__fish_complete_directories)' -d 'With --install: write into DIR'

# Other commands' options.
complete -c daemonkit -n '__daemonkit_using stop' -l timeout -x -d 'Wait after the stop signal before SIGKILL'
complete -c daemonkit -n '__daemonkit_using status list' -l json -d 'Machine-readable output'
complete -c daemonkit -n '__daemonkit_using list' -l names -d 'Only the names, one a line'
complete -c daemonkit -n '__daemonkit_using logs' -s n -l lines -x -d 'Number of lines from the end'
complete -c daemonkit -n '__daemonkit_using logs' -s f -l follow -d 'Keep printing new lines'
complete -c daemonkit -n '__daemonkit_using check up down status list unit' -s f -l file -x -a '(__daemonkit_toml_files)' -d 'Services file (default ./daemonkit.toml)'
complete -c daemonkit -n '__daemonkit_using up' -l dry-run -d 'Print what up would do, change nothing'
complete -c daemonkit -n '__daemonkit_using up' -l remove-orphans -d 'Stop services started from the file that it no longer has'

# Positional arguments.
for c in stop restart reload reopen logs unit signal
    complete -c daemonkit -n "__daemonkit_argument $c 0" -a '(__daemonkit_services)' -d Service
end
complete -c daemonkit -n '__daemonkit_argument signal 1' -a '(__daemonkit_signals)' -d Signal
complete -c daemonkit -n '__daemonkit_using status remove' -a '(__daemonkit_other_services)' -d Service
complete -c daemonkit -n '__daemonkit_using up down' -a '(__daemonkit_file_services)' -d 'Service of the file'
complete -c daemonkit -n '__daemonkit_argument import 0' -F -d 'supervisord config or Procfile'
complete -c daemonkit -n '__daemonkit_argument help 0' -a "$all" -d Command
complete -c daemonkit -n __daemonkit_after_respawn -a 'always on-failure' -d 'Respawn mode'
# start's and run's first positional word is the service's command.
complete -c daemonkit -n '__daemonkit_argument start 0; or __daemonkit_argument run 0' -a '(__fish_complete_command)'
complete -c daemonkit -n __daemonkit_in_service_command -a '(__daemonkit_service_command)'
