#!/bin/sh
# set-image-attributes: writes the files that name this build (etc/os-release, etc/issue) into
# the image from templates, adds them to the manifest, and totals the manifest from the DOC.
# Env (from the DOC): BUILD_DIR, IMAGE_NAME, IMAGE_VERSION, TRANSFERRED_SIZES (the sizes
# transfer-files recorded, comma-separated).
. "$(dirname "$0")/lib.sh"

require_build_dir
require IMAGE_NAME IMAGE_VERSION CAIMAN_RUN_ID
[ -n "${TRANSFERRED_SIZES-}" ] || fail "no File nodes in /persistent/manifest (transfer-files must run first)"
BUILD_ID=$CAIMAN_RUN_ID
image=$BUILD_DIR/image
[ -d "$image/etc" ] || fail "no image at $image (transfer-files must run first)"

files=0
bytes=0
saved_ifs=$IFS
IFS=,
for each in $TRANSFERRED_SIZES; do
    files=$((files + 1))
    bytes=$((bytes + each))
done
IFS=$saved_ifs

n=0
for name in os-release issue; do
    n=$((n + 1))
    progress $((100 * (n - 1) / 2)) "etc/$name"
    file=$image/etc/$name
    render "$skeleton/templates/$name" "$file" IMAGE_NAME IMAGE_VERSION BUILD_ID
    echo "::caiman doc insert /persistent/manifest $(json "etc/$name") kind=File path=$(json "image/etc/$name") size=$(size "$file") mode=$(json "$(stat -c %a "$file")") sha256=$(json "$(sha256 "$file")")"
    files=$((files + 1))
    bytes=$((bytes + $(size "$file")))
done
echo "::caiman doc set /persistent/manifest files=$files bytes=$bytes build-id=$(json "$BUILD_ID")"
progress 100 "$files files, $bytes bytes"
