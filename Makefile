# Build, test and install convert-legacy-stream and verify-stream-v2 the way
# Xen installs its own copies: in LIBEXEC_BIN, where libxl runs
# convert-legacy-stream from, with links in bindir for people. They are one
# program: verify-stream-v2 is a link to convert-legacy-stream, which runs
# the verifier when started by that name.
#
#   make                                  release build (and the link)
#   make install PREFIX=/usr/local        build, then install under PREFIX
#   make install DESTDIR=/tmp/stage       stage for a package
#   make install-strip                    the same, the program stripped
#   make install-only                     install what make built, no swift
#                                         needed (sudo make install-only)
#   make install-only BINDIR=DIR          install tools already built in DIR
#   make uninstall PREFIX=/usr/local
#   make deb                              a Debian package (packaging/build-deb.sh)
#   make test                             the test suite (also: make check)
#   make version                          print the version
#
# SCRATCH_PATH is swift's build directory; SWIFT_FLAGS reaches every swift
# invocation.

SWIFT        ?= swift
SWIFT_FLAGS  ?=
SCRATCH_PATH ?= .build
CONFIGURATION ?= release
# Flags for the tools' build only. A dom0 has no Swift runtime, so on Linux
# the programs carry theirs (they then need only libc, libm and libstdc++).
ifeq ($(shell uname -s),Linux)
SWIFT_BUILD_FLAGS ?= --static-swift-stdlib
else
SWIFT_BUILD_FLAGS ?=
endif

PREFIX       ?= /usr/local
DESTDIR      ?=
# Xen's LIBEXEC_BIN is $(libexecdir)/xen/bin and its configure makes
# libexecdir $(prefix)/lib on Linux; set LIBEXEC_BIN to match a Xen that
# was configured otherwise (NetBSD: $(PREFIX)/libexec/xen/bin).
LIBEXEC_BIN  ?= $(PREFIX)/lib/xen/bin
bindir       ?= $(PREFIX)/bin
datarootdir  ?= $(PREFIX)/share
mandir       ?= $(datarootdir)/man
man1dir      ?= $(mandir)/man1
bashcompdir  ?= $(datarootdir)/bash-completion/completions
zshcompdir   ?= $(datarootdir)/zsh/site-functions
fishcompdir  ?= $(datarootdir)/fish/vendor_completions.d

INSTALL      ?= install
INSTALL_DIR  ?= $(INSTALL) -d -m 0755
INSTALL_PROG ?= $(INSTALL) -m 0755
INSTALL_DATA ?= $(INSTALL) -m 0644

PROGRAM = convert-legacy-stream
LINKS   = verify-stream-v2
TOOLS   = $(PROGRAM) $(LINKS)

# The one place the version is written is the Swift source; the installed
# man pages get it from there.
VERSION := $(shell sed -n 's/^ *package static let current = "\([^"]*\)".*/\1/p' Sources/XenMigrationCLI/Version.swift)

# Where the built tools are: swift links SCRATCH_PATH/release to the
# platform's own directory.
BINDIR ?= $(SCRATCH_PATH)/$(CONFIGURATION)
swift_flags = --scratch-path "$(SCRATCH_PATH)" $(SWIFT_FLAGS)

# Normalised (no trailing or doubled slashes), so that the relative link
# computed below is right.
libexec_dest = $(abspath $(DESTDIR)$(LIBEXEC_BIN))
bin_dest     = $(abspath $(DESTDIR)$(bindir))

.PHONY: all build install install-strip install-only uninstall deb test check clean version completions

all: build

# The link lets the built verifier run from the build directory too.
build:
	$(SWIFT) build -c $(CONFIGURATION) $(swift_flags) $(SWIFT_BUILD_FLAGS) --product $(PROGRAM)
	for link in $(LINKS); do ln -sfn $(PROGRAM) "$(BINDIR)/$$link"; done

version:
	@echo $(VERSION)

install: build
	$(MAKE) install-only

# Release builds keep their symbols; this drops them (12.7 MB to 7.3 MB).
install-strip: build
	$(MAKE) install-only INSTALL_PROG="$(INSTALL_PROG) -s"

# In LIBEXEC_BIN: the program, and verify-stream-v2 as a link to it. The
# links in bindir are relative (../lib/xen/bin/NAME by default) so a
# DESTDIR-staged tree still works once moved into place. No links in bindir
# when it is LIBEXEC_BIN itself.
install-only:
	@if [ ! -x "$(BINDIR)/$(PROGRAM)" ]; then \
	    echo "$(BINDIR)/$(PROGRAM): not built (run make build, or set BINDIR)" >&2; exit 1; \
	fi
	@if [ -z "$(VERSION)" ]; then echo "no version in Sources/XenMigrationCLI/Version.swift" >&2; exit 1; fi
	$(INSTALL_DIR) "$(libexec_dest)" "$(bin_dest)" "$(DESTDIR)$(man1dir)" \
	    "$(DESTDIR)$(bashcompdir)" "$(DESTDIR)$(zshcompdir)" "$(DESTDIR)$(fishcompdir)"
	$(INSTALL_PROG) "$(BINDIR)/$(PROGRAM)" "$(libexec_dest)/$(PROGRAM)"
	@set -e; for link in $(LINKS); do \
	    echo "ln -s $(PROGRAM) $(libexec_dest)/$$link"; \
	    rm -f "$(libexec_dest)/$$link"; \
	    ln -s $(PROGRAM) "$(libexec_dest)/$$link"; \
	done
	@set -e; from="$(bin_dest)"; to="$(libexec_dest)"; up=""; \
	[ "$$to" != "$$from" ] || exit 0; \
	while :; do \
	    case "$$to/" in "$$from"/*) break ;; esac; \
	    from="$${from%/*}"; up="../$$up"; \
	done; \
	rel="$$up$${to#"$$from"/}"; \
	for tool in $(TOOLS); do \
	    echo "ln -s $$rel/$$tool $(bin_dest)/$$tool"; \
	    rm -f "$(bin_dest)/$$tool"; \
	    ln -s "$$rel/$$tool" "$(bin_dest)/$$tool"; \
	done
	@set -e; for tool in $(TOOLS); do \
	    echo "sed s/@VERSION@/$(VERSION)/ man/$$tool.1 > $(DESTDIR)$(man1dir)/$$tool.1"; \
	    sed 's/@VERSION@/$(VERSION)/g' "man/$$tool.1" > "$(DESTDIR)$(man1dir)/$$tool.1"; \
	    chmod 0644 "$(DESTDIR)$(man1dir)/$$tool.1"; \
	done
	$(INSTALL_DATA) completions/bash/convert-legacy-stream completions/bash/verify-stream-v2 \
	    "$(DESTDIR)$(bashcompdir)"
	$(INSTALL_DATA) completions/zsh/_convert-legacy-stream completions/zsh/_verify-stream-v2 \
	    "$(DESTDIR)$(zshcompdir)"
	$(INSTALL_DATA) completions/fish/convert-legacy-stream.fish completions/fish/verify-stream-v2.fish \
	    "$(DESTDIR)$(fishcompdir)"

# Removes only what install put there; the directories may hold Xen's own files.
uninstall:
	for tool in $(TOOLS); do \
	    rm -f "$(libexec_dest)/$$tool" "$(bin_dest)/$$tool" \
	        "$(DESTDIR)$(man1dir)/$$tool.1" "$(DESTDIR)$(bashcompdir)/$$tool" \
	        "$(DESTDIR)$(zshcompdir)/_$$tool" "$(DESTDIR)$(fishcompdir)/$$tool.fish"; \
	done

# The release build, packaged with dpkg-deb: .build/deb/xen-legacy-stream_VERSION_ARCH.deb
# (XEN_VERSIONS: whose Xen tools it replaces, default 4.17; see the script).
deb: build
	BINDIR="$(BINDIR)" bash packaging/build-deb.sh

test:
	$(SWIFT) test $(swift_flags)

check: test

# The completion scripts are made from the option declarations in
# Sources/XenMigrationCLI/*Command.swift; a test fails when they are stale.
completions:
	XEN_UPDATE_COMPLETIONS=1 $(SWIFT) test $(swift_flags) --filter completionsMatchDeclarations

clean:
	$(SWIFT) package clean $(swift_flags)
