#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The container images of the tests: a local Debian 12 slim base made with mmdebstrap (no registry needed), then the project's image from deploy/Containerfile, with podman.
#
# No container registry is reachable from the test machines, so the base
# image that deploy/Containerfile names (docker.io/library/debian:12-slim,
# and debian:12 for its build stage) is made here the way Debian's slim
# image is made: a minbase bookworm root file system without
# documentation, man pages and locales (dpkg path-excludes, which stay in
# the image for the packages installed later), imported with podman under
# the upstream names. The Containerfile then builds unchanged here and
# anywhere a registry is reachable. The base is made once and kept in
# podman's storage: a later run finds it and skips it.
#
# As a library (source it; bash):
#   image_env            export CONTAINERS_CONF (tests/containers.conf)
#   image_base           make the base image unless it exists (about
#                        70-120 s the first time)
#   image_build          image_base, then build IOTPIPE_IMAGE from
#                        deploy/Containerfile (layers are cached), tagged
#                        latest and with the Makefile's VERSION (the tag
#                        deploy/k8s names)
#   image_size NAME      the size of an image in bytes
#
# As a command:
#   tests/services/image.sh base|build|size|rmi
#       rmi removes the project image and the base (the next build makes
#       them again)
#
# Environment:
#   IOTPIPE_IMAGE        the project's image (localhost/iotpipe)
#   IOTPIPE_BASE_IMAGE   the base (docker.io/library/debian:12-slim)
#   IOTPIPE_BUILD_BASE   the build stage's base (docker.io/library/debian:12):
#                        tagged on the same local image; the build stage
#                        installs what it needs with `make deps-build`
#   IOTPIPE_DEBIAN_MIRROR  (http://deb.debian.org)
#   IOTPIPE_CACHE        where the lock of the base lives (~/.cache/iotpipe)
#   CONTAINERS_CONF      podman's configuration (tests/containers.conf:
#                        runc, cgroupfs, no ulimits of podman's own)
# Needs podman, runc and mmdebstrap (Debian packages; `make deps`).

[[ -n ${_IOTPIPE_IMAGE_LIB:-} ]] && return 0
_IOTPIPE_IMAGE_LIB=1

_IMAGE_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IOTPIPE_IMAGE=${IOTPIPE_IMAGE:-localhost/iotpipe}
IOTPIPE_BASE_IMAGE=${IOTPIPE_BASE_IMAGE:-docker.io/library/debian:12-slim}
IOTPIPE_BUILD_BASE=${IOTPIPE_BUILD_BASE:-docker.io/library/debian:12}
IOTPIPE_DEBIAN_MIRROR=${IOTPIPE_DEBIAN_MIRROR:-http://deb.debian.org}
IOTPIPE_CACHE=${IOTPIPE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/iotpipe}
export IOTPIPE_IMAGE IOTPIPE_BASE_IMAGE IOTPIPE_CACHE

# What Debian's slim images leave out (dpkg --path-exclude; the copyright
# files stay).
IMAGE_SLIM_DPKGOPTS=(
    'path-exclude=/usr/share/doc/*'
    'path-include=/usr/share/doc/*/copyright'
    'path-exclude=/usr/share/man/*'
    'path-exclude=/usr/share/groff/*'
    'path-exclude=/usr/share/info/*'
    'path-exclude=/usr/share/lintian/*'
    'path-exclude=/usr/share/linda/*'
    'path-exclude=/usr/share/locale/*'
)

_image_err() {
    printf 'image: %s\n' "$*" >&2
}

image_env() {
    export CONTAINERS_CONF=${CONTAINERS_CONF:-$_IMAGE_SRC/tests/containers.conf}
}

_image_exists() {
    podman image exists "$1"
}

# image_base: make the local base image unless it exists. Runs under a
# lock, so that two runs at once make it once.
image_base() {
    image_env
    local lock dir rc=0 opts=() o t0
    if _image_exists "$IOTPIPE_BASE_IMAGE" && _image_exists "$IOTPIPE_BUILD_BASE"; then
        return 0
    fi
    for t in podman mmdebstrap runc; do
        command -v "$t" >/dev/null || {
            _image_err "$t is missing; \`make deps\` installs it (Debian package $t)"
            return 1
        }
    done
    mkdir -p -- "$IOTPIPE_CACHE" || return 1
    lock=$IOTPIPE_CACHE/image-base.lock
    exec {_image_lock_fd}>"$lock" || return 1
    flock "$_image_lock_fd" || return 1
    if ! _image_exists "$IOTPIPE_BASE_IMAGE"; then
        dir=$(mktemp -d "${TMPDIR:-/tmp}/iotpipe-base.XXXXXX") || return 1
        for o in "${IMAGE_SLIM_DPKGOPTS[@]}"; do
            opts+=(--dpkgopt="$o")
        done
        t0=$SECONDS
        printf '# image: making %s with mmdebstrap (once)\n' "$IOTPIPE_BASE_IMAGE" >&2
        # merged-usr: the /usr merge made by a hook, as Debian's images
        # have it, not by the usrmerge package (which pulls in perl, 50 MB)
        if ! mmdebstrap --quiet --variant=minbase "${opts[@]}" \
            --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
            --aptopt='Acquire::Retries "3"' \
            bookworm "$dir/rootfs.tar" \
            "deb $IOTPIPE_DEBIAN_MIRROR/debian bookworm main" \
            "deb $IOTPIPE_DEBIAN_MIRROR/debian bookworm-updates main" \
            "deb $IOTPIPE_DEBIAN_MIRROR/debian-security bookworm-security main" \
            >"$dir/mmdebstrap.log" 2>&1; then
            _image_err "mmdebstrap failed; log: $dir/mmdebstrap.log"
            tail -n 20 "$dir/mmdebstrap.log" >&2
            rc=1
        elif ! podman import --quiet \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["bash"]' \
            "$dir/rootfs.tar" "$IOTPIPE_BASE_IMAGE" >/dev/null; then
            _image_err "podman import of $dir/rootfs.tar failed"
            rc=1
        else
            rm -rf -- "$dir"
            printf '# image: %s made in %d s\n' "$IOTPIPE_BASE_IMAGE" $((SECONDS - t0)) >&2
        fi
    fi
    if ((rc == 0)) && ! _image_exists "$IOTPIPE_BUILD_BASE"; then
        podman tag "$IOTPIPE_BASE_IMAGE" "$IOTPIPE_BUILD_BASE" || rc=1
    fi
    exec {_image_lock_fd}>&-
    return "$rc"
}

# image_build: the base, then the project's image from deploy/Containerfile
# (podman's layer cache makes a rebuild of unchanged sources quick).
image_build() {
    image_base || return 1
    local log version
    version=$(image_version) || return 1
    log=$(mktemp "${TMPDIR:-/tmp}/iotpipe-image-build.XXXXXX") || return 1
    if ! podman build --network=host --pull=never --layers \
        -f "$_IMAGE_SRC/deploy/Containerfile" -t "$IOTPIPE_IMAGE" \
        -t "$IOTPIPE_IMAGE:$version" \
        "$_IMAGE_SRC" >"$log" 2>&1; then
        _image_err "podman build failed; log: $log"
        tail -n 30 "$log" >&2
        return 1
    fi
    rm -f -- "$log"
}

# image_version: the project's version (VERSION in the Makefile), the tag
# of the image.
image_version() {
    local v
    v=$(sed -n 's/^VERSION *:= *//p' "$_IMAGE_SRC/Makefile")
    [[ -n $v ]] || {
        _image_err "no VERSION in $_IMAGE_SRC/Makefile"
        return 1
    }
    printf '%s\n' "$v"
}

# image_size NAME: bytes.
image_size() {
    image_env
    podman image inspect --format '{{.Size}}' "$1"
}

_image_usage() {
    cat <<'EOF'
usage: tests/services/image.sh base|build|size|rmi
  base   make docker.io/library/debian:12-slim (and :12) locally, once
  build  base, then localhost/iotpipe from deploy/Containerfile
  size   the size of localhost/iotpipe in bytes
  rmi    remove localhost/iotpipe and the local base images
EOF
}

image_main() {
    case ${1:-} in
    base) image_base ;;
    build) image_build ;;
    size) image_size "$IOTPIPE_IMAGE" ;;
    rmi)
        image_env
        podman rmi --force "$IOTPIPE_IMAGE" "$IOTPIPE_IMAGE:$(image_version)" \
            "$IOTPIPE_BUILD_BASE" \
            "$IOTPIPE_BASE_IMAGE" 2>/dev/null
        return 0
        ;;
    -h | --help | help) _image_usage ;;
    *)
        _image_usage >&2
        return 2
        ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    image_main "$@"
    exit
fi
