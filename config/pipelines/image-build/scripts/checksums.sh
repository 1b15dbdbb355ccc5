#!/bin/sh
# checksums: the sha256 of every artifact, into BUILD_DIR/artifacts/SHA256SUMS (the format
# `sha256sum -c` reads) and onto each artifact's node in the DOC.
# Env (from the DOC): BUILD_DIR, ARTIFACTS (the artifact nodes' names) and FILES (their files),
# both comma-separated and in the same order.
. "$(dirname "$0")/lib.sh"

require_build_dir
[ -n "${ARTIFACTS-}" ] || fail "no Artifact nodes under /persistent/artifacts"
[ -n "${FILES-}" ] || fail "no artifact has a file (the create-archive checkpoints must run first)"
sums=$BUILD_DIR/artifacts/SHA256SUMS

# The files become the positional parameters, split on commas (unquoted on purpose, globbing off).
set -f
saved_ifs=$IFS
IFS=,
# shellcheck disable=SC2086
set -- $FILES
total=$#
IFS=$saved_ifs

: > "$sums.part"
n=0
for name in $(printf '%s' "$ARTIFACTS" | tr ',' ' '); do
    [ $# -gt 0 ] || fail "artifact '$name' has no file"
    file=$1
    shift
    [ -f "$BUILD_DIR/$file" ] || fail "artifact '$name': $BUILD_DIR/$file does not exist"
    digest=$(sha256 "$BUILD_DIR/$file")
    printf '%s  %s\n' "$digest" "$(basename "$file")" >> "$sums.part"
    echo "::caiman doc set /persistent/artifacts/$name sha256=$(json "$digest")"
    n=$((n + 1))
    progress $((100 * n / total)) "$file"
done
[ $# -eq 0 ] || fail "more artifact files than artifact nodes"
mv "$sums.part" "$sums"
echo "::caiman doc set /persistent/artifacts checksums=\"artifacts/SHA256SUMS\""
