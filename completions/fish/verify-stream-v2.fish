# fish completion for verify-stream-v2
# Made by `make completions` from verify-stream-v2's option declarations; do not edit.

set -l c verify-stream-v2
# Arguments that are not options are ignored: offer no files for them.
complete -c $c -f
complete -c $c -s i -l in -r -F -d 'stream to check (default: standard input)'
complete -c $c -s f -l format -x -a "libxc\t'libxc stream (default)' libxl\t'libxl stream' xl\t'file written by xl save'" -d 'format of the stream'
complete -c $c -s v -l verbose -d 'describe every record on standard output'
complete -c $c -s q -l quiet -d 'print nothing; report by exit status only'
complete -c $c -l syslog -d 'send messages to syslog'
complete -c $c -l no-sandbox -d 'do not confine the process with seccomp'
complete -c $c -l version -d 'print the version and exit'
complete -c $c -s h -l help -d 'print a summary of the options and exit'
