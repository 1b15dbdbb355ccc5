#!/bin/sh
# ba-arch-<arch> ARCH: the boot files of one architecture in BUILD_DIR/boot/ARCH: its boot
# configuration from templates/boot/ARCH, and a boot archive (what init needs before the image
# is mounted). Recorded as a BootArchive node under /persistent/image/ARCH.
# Env (from the DOC): BUILD_DIR, IMAGE_NAME, IMAGE_VERSION, SOURCE_DATE_EPOCH, PLATFORM,
# CONSOLE, KERNEL_ARGS.
. "$(dirname "$0")/lib.sh"

ARCH=${1:?usage: boot-archive.sh ARCH}
require_build_dir
require IMAGE_NAME IMAGE_VERSION SOURCE_DATE_EPOCH PLATFORM CONSOLE
KERNEL_ARGS=${KERNEL_ARGS-}
templates=$skeleton/templates/boot/$ARCH
[ -d "$templates" ] || fail "no boot templates for architecture '$ARCH' in $templates"
image=$BUILD_DIR/image
[ -f "$image/etc/os-release" ] || fail "the image has no etc/os-release (set-image-attributes must run first)"
out=$BUILD_DIR/boot/$ARCH
stage=$BUILD_DIR/.boot-root-$ARCH

rm -rf "$out" "$stage"
mkdir -p "$out" "$stage"
progress 5 "boot configuration"
configs=
for template in "$templates"/*; do
    name=$(basename "$template")
    render "$template" "$out/$name" IMAGE_NAME IMAGE_VERSION ARCH PLATFORM CONSOLE KERNEL_ARGS
    configs="$configs${configs:+,}boot/$ARCH/$name"
done

progress 30 "boot archive root"
cp -R "$image/etc" "$image/sbin" "$stage/"
mkdir "$stage/dev" "$stage/proc" "$stage/sys" "$stage/tmp"
printf 'ARCH=%s\nPLATFORM=%s\n' "$ARCH" "$PLATFORM" > "$stage/etc/caiman-arch"
count=$(find "$stage" -type f | wc -l | tr -d ' ')

progress 60 "packing $count files"
pack "$out/boot_archive.tar" "$stage" .
gzip -n -9 "$out/boot_archive.tar"
rm -rf "$stage"

archive=$out/boot_archive.tar.gz
echo "::caiman doc insert /persistent/image/$ARCH boot-archive kind=BootArchive file=$(json "boot/$ARCH/boot_archive.tar.gz") config=$(json "$configs") files=$count size=$(size "$archive") sha256=$(json "$(sha256 "$archive")")"
progress 100 "boot/$ARCH ready"
