#!/bin/sh
# migrate-sender.sh IMAGE SEND_FIFO RECV_FIFO: the sending side of
# `xl migrate` as Xen 4.5's xl spoke it, with the guest's stream already
# saved as a legacy image (its xl header and its legacy libxc stream, as
# 4.5's xl writes them down the migration pipe). The receiver is
# `xl migrate-receive` with its standard input and output on the two fifos.
# The protocol, from 4.5's tools/libxl/xl_cmdimpl.c and 4.17's
# tools/xl/xl_migrate.c:
#   receiver: "xl migration receiver ready, send binary domain data.\n"
#   sender:   the xl header and the stream
#   receiver: "domain received, ready to unpause" NUL
#   sender:   "domain is yours, you are cleared to unpause" NUL
#   receiver: "my copy unpause results are as follows" NUL, one status byte
# Each side waits for the other's message before the next, so reading a
# message with head -c never takes bytes of the next one.
image=$1 send=$2 recv=$3
tmp=${TMPDIR:-/tmp}/migrate-sender.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
expect() { # expect WHAT LENGTH: the next LENGTH bytes are tmp/WHAT.want
    head -c "$2" <&4 > "$tmp/$1.got"
    if ! cmp -s "$tmp/$1.want" "$tmp/$1.got"; then
        echo "migrate-sender: expected the $1 message, got: $(od -An -c "$tmp/$1.got" | head -n 3)"
        exit 1
    fi
}
printf 'xl migration receiver ready, send binary domain data.\n' > "$tmp/banner.want"
printf 'domain received, ready to unpause\0' > "$tmp/ready.want"
printf 'my copy unpause results are as follows\0\0' > "$tmp/report.want"

exec 3> "$send" 4< "$recv"
expect banner 54
cat "$image" >&3 || { echo "migrate-sender: sending the image failed"; exit 1; }
expect ready 34
printf 'domain is yours, you are cleared to unpause\0' >&3
# The report and a status byte 0: the receiver unpaused the domain.
expect report 40
exec 3>&-
echo "migrate-sender: target reports successful startup"
