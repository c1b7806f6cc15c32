# fish completion for convert-legacy-stream

set -l c convert-legacy-stream
# Arguments that are not options are ignored: offer no files for them.
complete -c $c -f
complete -c $c -s i -l in -r -F -d 'Legacy stream to convert (file, descriptor number or -)'
complete -c $c -s o -l out -r -F -d 'Where to write the converted stream (file, descriptor number or -)'
complete -c $c -s w -l width -x -a "32\t'32-bit toolstack' 64\t'64-bit toolstack' auto\t'Detect from the image'" -d 'Width of the toolstack that wrote the stream'
complete -c $c -s g -l guest-type -x -a "pv\t'Paravirtualised guest' hvm\t'HVM guest' auto\t'Detect from the image'" -d 'Type of the saved guest'
complete -c $c -s f -l format -x -a "libxc\t'Bare libxc stream (default)' libxl\t'libxl stream wrapping a libxc one'" -d 'Stream to write'
complete -c $c -s v -l verbose -d 'Describe the stream on standard output'
complete -c $c -s x -l xl -d 'The stream starts with an xl save header'
complete -c $c -l skip-qemu -d 'With libxc output, do not read the device model record'
complete -c $c -l syslog -d 'Send messages to syslog'
complete -c $c -l no-sandbox -d 'Do not confine the process with seccomp'
complete -c $c -l stream-version -x -a "2\t'Read by Xen 4.6 and later (default)' 3\t'Written by Xen 4.14 and later'" -d 'libxc stream version to write'
complete -c $c -l auto -d 'Detect the toolstack width, guest type and xl header'
complete -c $c -l progress -d 'Show a progress line on standard error'
complete -c $c -l report -r -F -d 'Write a JSON report of the conversion to FILE (- for standard output)'
complete -c $c -l config-out -r -F -d 'Write the domain config (xl.cfg) to FILE after success'
complete -c $c -l config -r -F -d 'For an xm save image: put FILE in the xl header instead of the translation'
complete -c $c -l dry-run -d 'Read and check the whole stream, write nothing'
complete -c $c -l version -d 'Print the version and exit'
complete -c $c -s h -l help -d 'Print a summary of the options and exit'
