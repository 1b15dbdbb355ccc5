# Shared by the image-build checkpoint scripts: sourced, never run by itself.
# Every script fails loudly: set -eu, and fail() reports through the engine's error service.
set -eu
umask 022
LC_ALL=C
export LC_ALL

# The directory of the sourcing script: the skeleton and templates are found from here,
# whatever the working directory.
here=$(cd "$(dirname "$0")" && pwd)
skeleton=$(cd "$here/.." && pwd)

# Reports an error to the engine (the attempt fails with this message) and exits.
fail() {
    echo "::caiman error $*"
    echo "$(basename "$0"): $*" >&2
    exit 1
}

# The step's own progress, 0 to 100, and what it is doing.
progress() {
    echo "::caiman progress $*"
}

# A value for a ::caiman line as a JSON string, so that spaces and quotes survive and a value
# such as a mode (644) or a digest stays a string rather than becoming a number.
json() {
    printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

size() {
    wc -c < "$1" | tr -d ' '
}

sha256() {
    sha256sum < "$1" | cut -d ' ' -f 1
}

# The build directory this run owns (recorded in the DOC by create-build-dir): it must be given,
# absolute and existing. Every path a script writes is under it.
require_build_dir() {
    [ -n "${BUILD_DIR-}" ] || fail "no build directory: /persistent/build.dir is not in the DOC (create-build-dir must run first)"
    case $BUILD_DIR in
        /*) ;;
        *) fail "build directory '$BUILD_DIR' is not an absolute path" ;;
    esac
    [ -d "$BUILD_DIR" ] || fail "build directory '$BUILD_DIR' does not exist"
}

# require VAR...: each must be set and not empty. The pipeline fills them from the DOC, so an
# empty one means a value an earlier checkpoint should have recorded is missing.
require() {
    for var in "$@"; do
        eval "value=\${$var-}"
        [ -n "$value" ] || fail "$var is empty: the DOC value image-build.conf gives it is missing"
    done
}

# render TEMPLATE OUTPUT VAR...: copies TEMPLATE to OUTPUT with each @VAR@ replaced by the value
# of the environment variable VAR (the pipeline fills those from the DOC). A placeholder left
# unfilled is an error, not a silent gap in a boot menu.
render() {
    template=$1
    output=$2
    shift 2
    script=
    for var in "$@"; do
        eval "value=\${$var?$var is not set}"
        value=$(printf '%s' "$value" | sed 's/[\\&|]/\\&/g')
        script="${script}s|@${var}@|${value}|g;"
    done
    sed "$script" "$template" > "$output"
    if left=$(grep -o '@[A-Z_][A-Z_]*@' "$output" | sort -u | tr '\n' ' ') && [ -n "$left" ]; then
        fail "$template: no value for $left"
    fi
}

# pack ARCHIVE DIR NAME...: a tar of DIR's NAMEs. With GNU tar the archive is reproducible:
# sorted names, one timestamp (SOURCE_DATE_EPOCH, from the DOC), no owner names.
pack() {
    archive=$1
    dir=$2
    shift 2
    if tar --version 2>/dev/null | grep -q 'GNU tar'; then
        tar -C "$dir" --sort=name --mtime="@${SOURCE_DATE_EPOCH:?}" --owner=0 --group=0 --numeric-owner -cf "$archive" "$@"
    else
        tar -C "$dir" -cf "$archive" "$@"
    fi
}
