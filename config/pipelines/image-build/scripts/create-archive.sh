#!/bin/sh
# create-archive-<format> FORMAT: the media: one tar of the image and every architecture's boot
# files, gzip-compressed at the level the DOC gives for FORMAT (/persistent/artifacts/FORMAT),
# in BUILD_DIR/artifacts. Records the file on that node.
# Env (from the DOC): BUILD_DIR, IMAGE_NAME, IMAGE_VERSION, SOURCE_DATE_EPOCH, LEVEL, SUFFIX.
. "$(dirname "$0")/lib.sh"

FORMAT=${1:?usage: create-archive.sh FORMAT}
require_build_dir
require IMAGE_NAME IMAGE_VERSION SOURCE_DATE_EPOCH
SUFFIX=${SUFFIX-}
case ${LEVEL-} in
    [1-9]) ;;
    *) fail "/persistent/artifacts/$FORMAT.level must be a gzip level from 1 to 9, not '${LEVEL-}'" ;;
esac
[ -d "$BUILD_DIR/image" ] || fail "no image in $BUILD_DIR (transfer-files must run first)"
[ -d "$BUILD_DIR/boot" ] || fail "no boot files in $BUILD_DIR (the ba-arch checkpoints must run first)"

name=$IMAGE_NAME-$IMAGE_VERSION$SUFFIX.tar.gz
artifacts=$BUILD_DIR/artifacts
tar=$artifacts/.$FORMAT.tar
mkdir -p "$artifacts"

progress 10 "archiving image and boot"
pack "$tar" "$BUILD_DIR" image boot
progress 50 "gzip -$LEVEL"
gzip -n "-$LEVEL" -c "$tar" > "$artifacts/$name.part"
rm -f "$tar"
mv "$artifacts/$name.part" "$artifacts/$name"

echo "::caiman doc set /persistent/artifacts/$FORMAT file=$(json "artifacts/$name") compression=$(json "gzip -$LEVEL") bytes=$(size "$artifacts/$name")"
progress 100 "artifacts/$name"
