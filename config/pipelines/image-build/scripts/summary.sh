#!/bin/sh
# summary: BUILD_DIR/summary.txt, made from what the DOC holds at the end of the build; printed
# too, so the run's log ends with it.
# Env (from the DOC): BUILD_DIR, IMAGE_NAME, IMAGE_VERSION, FILES, BYTES, BUILD_ID, ARCHES,
# BOOT_ARCHIVES, ARTIFACT_FILES, ARTIFACT_BYTES, ARTIFACT_SHA256 (lists comma-separated, in
# DOC order).
. "$(dirname "$0")/lib.sh"

require_build_dir
require IMAGE_NAME IMAGE_VERSION FILES BYTES BUILD_ID ARCHES BOOT_ARCHIVES ARTIFACT_FILES ARTIFACT_BYTES ARTIFACT_SHA256
summary=$BUILD_DIR/summary.txt

# The n-th item (from 1) of a comma-separated list.
item() {
    printf '%s\n' "$1" | tr ',' '\n' | sed -n "$2p"
}

{
    echo "Image:          $IMAGE_NAME $IMAGE_VERSION"
    echo "Build:          $BUILD_ID"
    echo "Files:          $FILES ($BYTES bytes)"
    echo "Architectures:  $(printf '%s' "$ARCHES" | sed 's/,/, /g')"
    echo "Boot archives:"
    printf '%s\n' "$BOOT_ARCHIVES" | tr ',' '\n' | sed 's/^/  /'
    echo "Artifacts:"
    n=1
    for file in $(printf '%s' "$ARTIFACT_FILES" | tr ',' ' '); do
        echo "  $(basename "$file")  $(item "$ARTIFACT_BYTES" $n) bytes"
        echo "    sha256 $(item "$ARTIFACT_SHA256" $n)"
        n=$((n + 1))
    done
    echo "Checksums:      artifacts/SHA256SUMS"
} > "$summary.part"
mv "$summary.part" "$summary"

cat "$summary"
echo "::caiman doc set /persistent/build summary=\"summary.txt\""
progress 100 "summary.txt"
