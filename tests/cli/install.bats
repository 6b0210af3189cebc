#!/usr/bin/env bats
# make install / uninstall honour PREFIX and DESTDIR.

load ../lib/common

setup() {
    dest="$BATS_TEST_TMPDIR/root"
}

@test "install puts binaries, man pages and completions under DESTDIR/PREFIX" {
    run make -s -C "$IOTPIPE_SRC" BUILD="$IOTPIPE_BUILD" install DESTDIR="$dest" PREFIX=/opt/iot
    assert_success
    [ -x "$dest/opt/iot/bin/vnorm" ]
    [ -f "$dest/opt/iot/share/man/man1/vnorm.1" ]
    [ -f "$dest/opt/iot/share/man/man7/iotpipe.7" ]
    [ -f "$dest/opt/iot/share/bash-completion/completions/vnorm" ]
    [ -f "$dest/opt/iot/share/zsh/site-functions/_vnorm" ]
    run "$dest/opt/iot/bin/vnorm" --version
    assert_success
    assert_output --partial "vnorm "
}

@test "uninstall removes what install put there" {
    make -s -C "$IOTPIPE_SRC" BUILD="$IOTPIPE_BUILD" install DESTDIR="$dest" PREFIX=/usr
    run make -s -C "$IOTPIPE_SRC" BUILD="$IOTPIPE_BUILD" uninstall DESTDIR="$dest" PREFIX=/usr
    assert_success
    run find "$dest" -type f
    assert_output ""
}
