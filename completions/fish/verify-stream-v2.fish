# fish completion for verify-stream-v2

set -l c verify-stream-v2
# Arguments that are not options are ignored: offer no files for them.
complete -c $c -f
complete -c $c -s i -l in -r -F -d 'Stream to check (default: standard input)'
complete -c $c -s f -l format -x -a "libxc\t'libxc stream (default)' libxl\t'libxl stream' xl\t'File written by xl save'" -d 'Format of the stream'
complete -c $c -s v -l verbose -d 'Describe every record on standard output'
complete -c $c -s q -l quiet -d 'Print nothing; report by exit status only'
complete -c $c -l syslog -d 'Send messages to syslog'
complete -c $c -l no-sandbox -d 'Do not confine the process with seccomp'
complete -c $c -l version -d 'Print the version and exit'
complete -c $c -s h -l help -d 'Print a summary of the options and exit'
