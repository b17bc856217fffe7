#!/usr/bin/env bash
# Rebuilds the BTF test objects from their C sources with Debian's clang 14:
# NAME.o (little-endian, -target bpf) and NAME.bpfeb.o (big-endian, to test
# byte swapping). The objects are committed; run this after changing a source.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
CLANG=${CLANG:-clang}
for src in *.c; do
    name=${src%.c}
    for target in bpf bpfeb; do
        obj=$name.o
        [[ $target == bpfeb ]] && obj=$name.bpfeb.o
        echo "$CLANG -g -O2 -target $target -c $src -o $obj"
        "$CLANG" -g -O2 -target "$target" -Wall -Werror -c "$src" -o "$obj"
    done
done
