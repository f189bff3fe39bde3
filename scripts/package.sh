#!/usr/bin/env bash
# Builds release binaries of fieldcli and sync-server and makes two Debian packages of them in dist/:
#   fieldcli_VERSION_ARCH.deb          the adviser's client, its shell completions and man page
#   fieldsync-server_VERSION_ARCH.deb  the server as a hardened systemd service
# (see README, "Install from the packages").
#
#   bash scripts/package.sh               # release build (slow: 51 min cold on a busy 2-core machine), packages
#   bash scripts/package.sh --skip-build  # package the binaries the last release build left in the scratch path
#
# FIELDSYNC_RELEASE_SCRATCH  scratch path of the release build (default /tmp/fieldsync-release)
# FIELDSYNC_DIST             where the packages go (default dist/)
# FIELDSYNC_MAINTAINER       the packages' Maintainer field
# Needs dpkg-dev (dpkg-shlibdeps computes Depends from the libraries the binaries link) and binutils (strip).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
SCRATCH="${FIELDSYNC_RELEASE_SCRATCH:-/tmp/fieldsync-release}"
DIST="${FIELDSYNC_DIST:-$ROOT/dist}"
MAINTAINER="${FIELDSYNC_MAINTAINER:-fieldsync maintainers <fieldsync@example.org>}"
PACKAGING="$ROOT/packaging"

step() { printf 'package: %s\n' "$*"; }
fail() { printf 'package: error: %s\n' "$*" >&2; exit 1; }

SKIP_BUILD=0
for argument in "$@"; do
    case "$argument" in
        --skip-build) SKIP_BUILD=1 ;;
        -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) fail "unknown argument '$argument' (see --help)" ;;
    esac
done

need() { command -v "$1" >/dev/null 2>&1 || fail "$1 not found: $2"; }
need dpkg-deb "install dpkg"
need dpkg-shlibdeps "apt-get install dpkg-dev"
need strip "apt-get install binutils"
need gzip "apt-get install gzip"
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
need swift "a Swift 6.3 toolchain is needed (for the build and the man page generator)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-package.XXXXXX")"
BUILD_PID=""
cleanup() {
    if [[ -n "$BUILD_PID" ]]; then kill -TERM "$BUILD_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# nice_build ARGS...: 'swift build ARGS' at the lowest CPU priority, so that it does not starve other builds on the
# machine. swift-build starts its compilers at priority 0 whatever its own is, so they are reniced as they come.
nice_build() {
    nice -n 19 swift build "$@" >&2 &
    BUILD_PID=$!
    local build=$BUILD_PID descendants status=0
    while kill -0 "$build" 2>/dev/null; do
        descendants="$(ps -eo pid=,ppid= | awk -v root="$build" '
            { parent[$1] = $2 }
            END { for (pid in parent) { p = pid; while (p in parent && p != root && p > 1) p = parent[p]
                                        if (p == root && pid != root) print pid } }')"
        # shellcheck disable=SC2086 # one word per process id
        [[ -n "$descendants" ]] && renice -n 19 -p $descendants >/dev/null 2>&1
        sleep 1
    done
    wait "$build" || status=$?
    BUILD_PID=""
    return "$status"
}

BIN="$SCRATCH/release"
if (( SKIP_BUILD )); then
    for product in fieldcli sync-server; do
        [[ -x "$BIN/$product" ]] || fail "no release build of $product in $BIN; run without --skip-build"
    done
    step "using the release binaries in $BIN (--skip-build)"
else
    for product in sync-server fieldcli; do
        step "building $product (release, static Swift standard library, nice 19, scratch path $SCRATCH)"
        start=$SECONDS
        nice_build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product "$product" ||
            fail "the release build of $product failed"
        step "built $product in $(( SECONDS - start )) s"
    done
fi

# The version comes from the binaries themselves ('fieldcli 0.3.0'), so the packages cannot disagree with them.
VERSION="$("$BIN/fieldcli" --version)"
VERSION="${VERSION#fieldcli }"
[[ "$VERSION" =~ ^[0-9]+(\.[0-9]+)*$ ]] || fail "unexpected 'fieldcli --version' output: $VERSION"
[[ "$("$BIN/sync-server" --version)" == "sync-server $VERSION" ]] ||
    fail "sync-server --version does not say $VERSION: $("$BIN/sync-server" --version)"
ARCH="$(dpkg --print-architecture)"
# Reproducible dates: the last commit's, not the clock's.
if COMMIT_TIME="$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null)" && [[ -n "$COMMIT_TIME" ]]; then
    REVISION="$(git -C "$ROOT" rev-parse --short HEAD)"
else
    COMMIT_TIME="$(date +%s)"
    REVISION="unknown"
fi
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$COMMIT_TIME}"
step "version $VERSION, architecture $ARCH, commit $REVISION"

# The man pages come from the ArgumentParser definitions, through swift-argument-parser's own generate-manual
# tool (what its 'generate-manual' plugin runs), built once from the checkout the release build resolved.
MANUAL_TOOL="$SCRATCH/generate-manual/debug/generate-manual"
if [[ ! -x "$MANUAL_TOOL" ]]; then
    PARSER="$SCRATCH/checkouts/swift-argument-parser"
    [[ -f "$PARSER/Package.swift" ]] || fail "no swift-argument-parser checkout in $SCRATCH/checkouts"
    step "building swift-argument-parser's generate-manual tool"
    nice_build --package-path "$PARSER" --scratch-path "$SCRATCH/generate-manual" --product generate-manual ||
        fail "could not build generate-manual"
fi

# stage PACKAGE BINARY: a package root with the stripped binary, its man page and the documentation files.
stage() {
    local package="$1" binary="$2" root="$WORK/$1"
    step "$package: staging $binary, its man page, copyright and changelog"
    install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" "$root/usr/share/doc/$package"
    install -m 0755 "$BIN/$binary" "$root/usr/bin/$binary"
    strip --remove-section=.comment --remove-section=.note "$root/usr/bin/$binary"
    "$root/usr/bin/$binary" --version >/dev/null || fail "the stripped $binary does not run"

    mkdir -p "$WORK/man-$binary"
    "$MANUAL_TOOL" "$root/usr/bin/$binary" --output-directory "$WORK/man-$binary" \
        --date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)" >&2 || fail "generate-manual failed for $binary"
    [[ -s "$WORK/man-$binary/$binary.1" ]] || fail "generate-manual wrote no $binary.1"
    # An empty line in mdoc text is a groff warning: a paragraph break (.Pp) is what the help text means.
    sed 's/^[[:space:]]*$/.Pp/' "$WORK/man-$binary/$binary.1" | gzip -9n >"$root/usr/share/man/man1/$binary.1.gz"

    write_copyright >"$root/usr/share/doc/$package/copyright"
    printf '%s (%s) unstable; urgency=medium\n\n  * Packaged at fieldsync commit %s.\n\n -- %s  %s\n' \
        "$package" "$VERSION" "$REVISION" "$MAINTAINER" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")" |
        gzip -9n >"$root/usr/share/doc/$package/changelog.gz"
}

# The copyright file: fieldsync, the Swift runtime linked in statically, and every resolved Swift package.
write_copyright() {
    cat <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: fieldsync
Comment: The binary is linked statically with the Swift runtime, standard library and Foundation, and with
 the Swift packages listed below that it uses; it links dynamically with the system's libc, libstdc++,
 SQLite and OpenSSL (see Depends).

Files: *
Copyright: the fieldsync authors
License: fieldsync
 The fieldsync repository carries no license file yet: ask its authors before
 redistributing this package.

Files: swift-runtime/*
Copyright: Apple Inc. and the Swift project authors
License: Apache-2.0 with Runtime Library Exception
 On Debian systems the Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0.
 The Runtime Library Exception: https://swift.org/LICENSE.txt
EOF
    local checkout name license text version
    for checkout in "$SCRATCH"/checkouts/*/; do
        name="$(basename "$checkout")"
        license="$(find "$checkout" -maxdepth 1 -iname 'licen[cs]e*' | sort | head -1)"
        version="$(git -C "$checkout" describe --tags --always 2>/dev/null || echo unknown)"
        printf '\nFiles: %s/*\nComment: Swift package %s %s' "$name" "$name" "$version"
        [[ "$name" == swift-nio-ssl || "$name" == swift-crypto ]] &&
            printf ', which includes BoringSSL (OpenSSL, ISC and other licenses: see the package'"'"'s LICENSE.txt)'
        [[ "$name" == swift-nio-extras ]] &&
            printf ', which includes zlib (Copyright Jean-loup Gailly and Mark Adler, Zlib license)'
        printf '\n'
        if [[ -n "$license" ]] && grep -q 'Apache License' "$license" && grep -q 'Version 2.0' "$license"; then
            printf 'Copyright: the %s authors\nLicense: Apache-2.0\n' "$name"
        elif [[ -n "$license" ]]; then
            # Any other license (MIT for GRDB and PostgresNIO) travels in full, as it asks.
            text="$(sed -e 's/[[:space:]]*$//' -e 's/^$/./' -e 's/^/ /' "$license")"
            printf 'Copyright: %s\nLicense: %s-license\n%s\n' \
                "$(grep -m1 -i 'copyright' "$license" | sed 's/^[[:space:]]*//' || echo "the $name authors")" \
                "$name" "$text"
        else
            printf 'Copyright: the %s authors\nLicense: unknown\n' "$name"
        fi
    done
    printf '\nLicense: Apache-2.0\n On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.\n'
}

# depends PACKAGE BINARY: the Depends line dpkg-shlibdeps computes from the libraries the binary links.
depends() {
    local binary="$WORK/$1/usr/bin/$2" library
    # Every library must come from a Debian package: a Swift runtime library would be missing on the target.
    while read -r library; do
        dpkg -S "$(readlink -f "$library")" >/dev/null 2>&1 || dpkg -S "$library" >/dev/null 2>&1 ||
            fail "$2 links $library, which no Debian package provides (was it built with --static-swift-stdlib?)"
    done < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
    mkdir -p "$WORK/shlibs/debian"
    printf 'Source: fieldsync\n\nPackage: %s\nArchitecture: any\n' "$1" >"$WORK/shlibs/debian/control"
    (cd "$WORK/shlibs" && dpkg-shlibdeps -O "$binary") | sed -n 's/^shlibs:Depends=//p'
}

# build_deb PACKAGE [EXTRA_DEPENDS]: the control file, then dpkg-deb.
build_deb() {
    local package="$1" root="$WORK/$1" binary="$2" extra="${3:-}" control dependencies size
    dependencies="$(depends "$package" "$binary")"
    [[ -n "$dependencies" ]] || fail "dpkg-shlibdeps found no dependencies for $binary"
    [[ -n "$extra" ]] && dependencies="$dependencies, $extra"
    step "$package: Depends: $dependencies"
    size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
    control="$(<"$PACKAGING/$package/control")"
    control="${control//@VERSION@/"$VERSION"}"
    control="${control//@ARCH@/"$ARCH"}"
    control="${control//@MAINTAINER@/"$MAINTAINER"}"
    control="${control//@INSTALLED_SIZE@/"$size"}"
    control="${control//@DEPENDS@/"$dependencies"}"
    printf '%s\n' "$control" >"$root/DEBIAN/control"
    # Checksums for dpkg --verify; the conffiles (all under etc/) are checksummed by dpkg itself.
    (cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' |
        LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
    mkdir -p "$DIST"
    local deb="$DIST/${package}_${VERSION}_${ARCH}.deb"
    rm -f "$deb"
    dpkg-deb --build --root-owner-group -Zxz "$root" "$deb" >/dev/null || fail "dpkg-deb failed for $package"
    step "$package: wrote ${deb#"$ROOT/"} ($(du -h "$deb" | cut -f1))"
}

# fieldcli: the binary, bash/zsh/fish completions, the man page.
stage fieldcli fieldcli
root="$WORK/fieldcli"
install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
    "$root/usr/share/fish/vendor_completions.d"
# bash-completion sources the file: no #! line.
"$root/usr/bin/fieldcli" --generate-completion-script bash | sed '1{/^#!/d}' \
    >"$root/usr/share/bash-completion/completions/fieldcli"
"$root/usr/bin/fieldcli" --generate-completion-script zsh >"$root/usr/share/zsh/vendor-completions/_fieldcli"
"$root/usr/bin/fieldcli" --generate-completion-script fish >"$root/usr/share/fish/vendor_completions.d/fieldcli.fish"
install -D -m 0644 "$PACKAGING/fieldcli/lintian-overrides" "$root/usr/share/lintian/overrides/fieldcli"
build_deb fieldcli fieldcli

# fieldsync-server: the binary, the man page, the systemd unit, the settings (a conffile), the maintainer scripts.
stage fieldsync-server sync-server
root="$WORK/fieldsync-server"
install -D -m 0644 "$PACKAGING/fieldsync-server/fieldsync-server.service" \
    "$root/lib/systemd/system/fieldsync-server.service"
install -D -m 0644 "$PACKAGING/fieldsync-server/server.env" "$root/etc/fieldsync/server.env"
install -m 0644 "$PACKAGING/fieldsync-server/conffiles" "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "$PACKAGING/fieldsync-server/$script" "$root/DEBIAN/$script"
done
# postinst creates the service user with adduser.
build_deb fieldsync-server sync-server adduser

step "done: fieldcli_${VERSION}_${ARCH}.deb and fieldsync-server_${VERSION}_${ARCH}.deb in ${DIST#"$ROOT/"}"
