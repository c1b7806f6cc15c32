# fish completion for convert-legacy-stream
# Made by `make completions` from convert-legacy-stream's option declarations; do not edit.

set -l c convert-legacy-stream
# Arguments that are not options are ignored: offer no files for them.
complete -c $c -f
complete -c $c -s i -l in -r -F -d 'legacy stream to convert'
complete -c $c -s o -l out -r -F -d 'where to write the converted stream'
complete -c $c -s w -l width -x -a "32\t'32-bit toolstack' 64\t'64-bit toolstack' auto\t'detect from the image'" -d 'width of the toolstack that wrote the stream'
complete -c $c -s g -l guest-type -x -a "pv\t'paravirtualised guest' hvm\t'HVM guest' auto\t'detect from the image'" -d 'type of the saved guest'
complete -c $c -s f -l format -x -a "libxc\t'bare libxc stream (default)' libxl\t'libxl stream wrapping a libxc one'" -d 'stream to write'
complete -c $c -l stream-version -x -a "2\t'read by Xen 4.6 and later (default)' 3\t'written by Xen 4.14 and later'" -d 'libxc stream version to write'
complete -c $c -s x -l xl -d 'the stream starts with an xl save header'
complete -c $c -l skip-qemu -d 'with libxc output, do not read the device model record'
complete -c $c -l auto -d 'detect the toolstack width, guest type and xl header'
complete -c $c -l config-out -r -F -d 'write the domain config (xl.cfg) after success'
complete -c $c -l config -r -F -d 'for an xm save image, the xl config to embed'
complete -c $c -l dry-run -d 'read and check the whole stream, write nothing'
complete -c $c -l report -r -F -d 'write a JSON report of the conversion'
complete -c $c -l progress -d 'show a progress line on standard error'
complete -c $c -s v -l verbose -d 'describe the stream on standard output'
complete -c $c -l syslog -d 'send messages to syslog'
complete -c $c -l no-sandbox -d 'do not confine the process with seccomp'
complete -c $c -l version -d 'print the version and exit'
complete -c $c -s h -l help -d 'print a summary of the options and exit'
