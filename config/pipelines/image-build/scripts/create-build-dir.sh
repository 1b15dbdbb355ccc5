#!/bin/sh
# create-build-dir: an empty build directory for this run, recorded in the DOC as
# /persistent/build.dir. It is ${TMPDIR:-/tmp}/caiman-build/<run id>: the same run id gives
# the same directory, so a resume finds the files of the run it resumes.
. "$(dirname "$0")/lib.sh"

[ -n "${CAIMAN_RUN_ID-}" ] || fail "CAIMAN_RUN_ID is not set: run this pipeline with caiman"
run=$CAIMAN_RUN_ID
case $run in
    . | .. | */*) fail "run id '$run' cannot name a directory" ;;
esac
root=${TMPDIR:-/tmp}/caiman-build
mkdir -p "$root"
root=$(cd "$root" && pwd -P)
dir=$root/$run

progress 10 "build directory $dir"
# A retry, or a resume from here, starts over: nothing of an earlier attempt may end up in the image.
rm -rf "$dir"
mkdir "$dir"
echo "::caiman doc insert /persistent build kind=Build dir=$(json "$dir") run=$(json "$run")"
progress 100 "build directory ready"
