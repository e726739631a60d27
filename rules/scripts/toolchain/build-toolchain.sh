#!/bin/bash
# Make an XSC toolchain directory (make-toolchain.sh) and check that its wrappers use the flags
# the rule (rules/toolchain.ts) announces to every consumer.
#
#   build-toolchain.sh ARCH VARIANT OUTDIR [SYSROOT]
#     without SYSROOT: the bootstrap stage (builds glibc); with it: the final stage
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
[ $# -ge 3 ] || { echo "usage: build-toolchain.sh ARCH VARIANT OUTDIR [SYSROOT]" >&2; exit 2; }
arch=$1 variant=$2 out=$(realpath -m "$3")
bash "$here/make-toolchain.sh" "$@"
if [ -n "${XSC_EXPECT_CFLAGS+x}" ]; then
  got_c=$(. "$out/flags.env"; echo "$XSC_CFLAGS"); got_l=$(. "$out/flags.env"; echo "$XSC_LDFLAGS")
  if [ "$got_c" != "$XSC_EXPECT_CFLAGS" ] || [ "$got_l" != "${XSC_EXPECT_LDFLAGS:-}" ]; then
    echo "build-toolchain.sh: $arch-$variant wrappers use CFLAGS='$got_c' LDFLAGS='$got_l', but rules/toolchain.ts announces CFLAGS='$XSC_EXPECT_CFLAGS' LDFLAGS='${XSC_EXPECT_LDFLAGS:-}'" >&2
    exit 1
  fi
fi
echo "build-toolchain.sh: $arch-$variant $(. "$out/flags.env"; echo "$XSC_STAGE") toolchain in $out"
