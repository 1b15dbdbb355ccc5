#!/bin/sh
# transfer-files BUILD_DIR: copies the root filesystem skeleton into BUILD_DIR/image and records
# every file (path, size, mode, sha256) as a File node under /persistent/manifest.
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${1-}
require_build_dir
source=$skeleton/rootfs
image=$BUILD_DIR/image
list=$BUILD_DIR/.transfer.list

progress 0 "copying the skeleton"
rm -rf "$image"
mkdir "$image"
cp -R "$source/." "$image/"
# Git keeps neither empty directories nor modes beyond the execute bit: the image's mount
# points and modes are made here, the same on every machine.
mkdir -p "$image/dev" "$image/proc" "$image/sys" "$image/tmp" "$image/root" "$image/var/log"
chmod -R u+rwX,go+rX,go-w "$image"
chmod 755 "$image/sbin/init" "$image/etc/init.d/rcS"
chmod 1777 "$image/tmp"
chmod 700 "$image/root"

(cd "$image" && find . -type f | sed 's|^\./||' | sort) > "$list"
total=$(wc -l < "$list" | tr -d ' ')
[ "$total" -gt 0 ] || fail "the skeleton $source holds no files"
progress 10 "recording $total files"

echo "::caiman doc insert /persistent manifest kind=Manifest root=image"
n=0
while IFS= read -r path; do
    n=$((n + 1))
    file=$image/$path
    echo "::caiman doc insert /persistent/manifest $(json "$path") kind=File path=$(json "image/$path") size=$(size "$file") mode=$(json "$(stat -c %a "$file")") sha256=$(json "$(sha256 "$file")")"
    progress $((10 + 90 * n / total)) "$path"
done < "$list"
rm -f "$list"
