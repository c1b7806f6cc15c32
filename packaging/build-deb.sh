#!/usr/bin/env bash
# Builds the Debian binary package xen-legacy-stream from the release build
# (`make deb` runs `make` first, then this), with dpkg-deb and nothing but
# Debian's own tools (dpkg-dev, gzip, binutils' strip). Prints the path of
# the package it wrote.
#
# Layout: the program in /usr/libexec/xen-legacy-stream (verify-stream-v2 a link
# to it), links in /usr/bin, and for each Xen version in XEN_VERSIONS links
# at /usr/lib/xen-VERSION/bin/{convert-legacy-stream,verify-stream-v2},
# the paths libxl runs, whose Xen files the maintainer scripts divert.
#
# Variables:
#   BINDIR        the built program (default .build/release)
#   DEB_DIR       where the package goes (default .build/deb)
#   XEN_VERSIONS  the Xen versions whose tools are replaced (default
#                 "4.17 4.20": Debian 12's xen-utils-4.17 and Debian 13's
#                 xen-utils-4.20, so that one package serves both)
#   DEB_MAINTAINER  default: the maintainer of packaging/debian/changelog
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
package=xen-legacy-stream
libdir=/usr/libexec/$package
tools="convert-legacy-stream verify-stream-v2"
bindir=$(realpath -m "${BINDIR:-$root/.build/release}")
outdir=${DEB_DIR:-$root/.build/deb}
xen_versions=${XEN_VERSIONS:-4.17 4.20}
changelog=$here/debian/changelog

die() {
    echo "build-deb: $*" >&2
    exit 1
}

for tool in dpkg-deb dpkg-shlibdeps dpkg-parsechangelog gzip strip make; do
    command -v "$tool" >/dev/null || die "needs $tool (apt-get install dpkg-dev binutils make)"
done
[ -x "$bindir/convert-legacy-stream" ] || die "$bindir/convert-legacy-stream: not built (run make)"

# The version: the program's, from the one constant, and the Debian revision
# from the changelog, whose first entry must be for this version.
upstream=$(make -s --no-print-directory -C "$root" version)
version=$(dpkg-parsechangelog -l "$changelog" -S Version)
[ -n "$upstream" ] || die "no version in Sources/XenMigrationCLI/Version.swift"
[ "${version%-*}" = "$upstream" ] ||
    die "packaging/debian/changelog starts with $version, the program is $upstream: add an entry for $upstream-1"
[ "$(dpkg-parsechangelog -l "$changelog" -S Source)" = "$package" ] ||
    die "packaging/debian/changelog is not for $package"
maintainer=${DEB_MAINTAINER:-$(dpkg-parsechangelog -l "$changelog" -S Maintainer)}
# File dates and the copyright year come from the changelog entry, so the
# same sources make the same package.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(dpkg-parsechangelog -l "$changelog" -S Timestamp)}
year=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
arch=$(dpkg --print-architecture)

for v in $xen_versions; do
    case "$v" in
    [0-9]*.[0-9]*) ;;
    *) die "XEN_VERSIONS: '$v' is not a Xen version such as 4.17" ;;
    esac
done

# The licence is referred to, not copied: it must still be the text Debian has.
[ -f /usr/share/common-licenses/Apache-2.0 ] && cmp -s \
    <(tr -s ' \n' <"$root/LICENSE") <(tr -s ' \n' </usr/share/common-licenses/Apache-2.0) ||
    die "LICENSE differs from /usr/share/common-licenses/Apache-2.0: update packaging/debian/copyright.in"

umask 022
mkdir -p "$outdir"
work=$(mktemp -d "$outdir/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/root
mkdir "$stage"

# The program, its links, the man pages and the completions, as
# `make install-strip` installs them, in Debian's places.
make -s --no-print-directory -C "$root" install-only DESTDIR="$stage" PREFIX=/usr \
    LIBEXEC_BIN="$libdir" zshcompdir=/usr/share/zsh/vendor-completions \
    BINDIR="$bindir" INSTALL_PROG="install -m 0755 -s" >/dev/null
# As dh_strip does: the compiler's notes go too.
strip --remove-section=.comment --remove-section=.note "$stage$libdir/convert-legacy-stream"
gzip -9n "$stage"/usr/share/man/man1/*.1

# libxl's paths: relative links to ours, shipped by this package so that
# dpkg knows them; preinst diverts Xen's files away from them first.
diverted=""
enhances=""
xen_utils=""
for v in $xen_versions; do
    mkdir -p "$stage/usr/lib/xen-$v/bin"
    for tool in $tools; do
        ln -s "../../../libexec/$package/$tool" "$stage/usr/lib/xen-$v/bin/$tool"
        diverted="$diverted /usr/lib/xen-$v/bin/$tool"
    done
    enhances="${enhances:+$enhances, }xen-utils-$v"
    xen_utils="${xen_utils:+$xen_utils or }xen-utils-$v"
done
diverted=${diverted# }

doc=$stage/usr/share/doc/$package
mkdir -p "$doc"
gzip -9nc "$root/README.md" >"$doc/README.md.gz"
# The README's topics, under the names its links give them.
mkdir -p "$doc/docs"
for page in "$root"/docs/*.md; do
    gzip -9nc "$page" >"$doc/docs/$(basename "$page").gz"
done
gzip -9nc "$root/CHANGELOG.md" >"$doc/changelog.gz"
gzip -9nc "$changelog" >"$doc/changelog.Debian.gz"
sed "s/@YEAR@/$year/" "$here/debian/copyright.in" >"$doc/copyright"

# Depends: what the program links, with the versions its symbols need,
# from the libraries' symbols files (dpkg-shlibdeps wants a debian/control).
mkdir -p "$work/src/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$package" "$package" >"$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O -e"$stage$libdir/convert-legacy-stream" 2>"$work/shlibdeps.err") ||
    die "dpkg-shlibdeps failed: $(cat "$work/shlibdeps.err")"
depends=$(sed -n 's/^shlibs:Depends=//p' <<<"$depends")
[ -n "$depends" ] || die "dpkg-shlibdeps found no dependencies"

mkdir "$stage/DEBIAN"
installed_size=$(du -sk --apparent-size "$stage/usr" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@DEPENDS@|$depends|" \
    -e "s|^Enhances: .*|Enhances: $enhances|" -e "s|@XEN_UTILS@|$xen_utils|" \
    "$here/debian/control.in" >"$stage/DEBIAN/control"
for script in preinst postinst postrm; do
    sed "s|@DIVERTED@|$diverted|" "$here/debian/$script" >"$stage/DEBIAN/$script"
    chmod 0755 "$stage/DEBIAN/$script"
done
(cd "$stage" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"

chmod -R go-w "$stage"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
deb=$outdir/${package}_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
