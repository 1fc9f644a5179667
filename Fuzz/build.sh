#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/Targets with plain swiftc (-sanitize=fuzzer,address):
# each KinecolorX module the targets need becomes a static library compiled with coverage and
# AddressSanitizer, and each target links only the libraries it imports.
#   bash Fuzz/build.sh [target ...]     (default: every target)
# Output: $FUZZ_BUILD (default .build-fuzz)/fuzz-<target>. Modules are rebuilt only when
# one of their sources is newer than the library.
set -euo pipefail
cd "$(dirname "$0")/.."
B="${FUZZ_BUILD:-.build-fuzz}"
mkdir -p "$B"

SAN=(-sanitize=fuzzer,address)
# -Onone keeps the build short (the module sources are small and the inputs are tiny);
# -g gives line numbers in crash reports.
ffmpeg_pkgs="libavformat libavcodec libswscale libavutil"
# The C modules (Sources/CBLAS, Sources/CFFmpeg, Sources/Weights/include, and COpticalFlow's map
# that copticalflow below writes into $B/COpticalFlow) are found through their module maps by every
# module that imports them, directly or through another module.
mkdir -p "$B/COpticalFlow"
FLAGS=(-Onone -g -parse-as-library -swift-version 6 -package-name Kinecolor -I "$B" -I Sources/CBLAS -I Sources/CFFmpeg
       -I Sources/Weights/include -I "$B/COpticalFlow")
for f in $(pkg-config --cflags-only-I openblas $ffmpeg_pkgs); do FLAGS+=(-Xcc "$f"); done

rebuilt=0
# module name, source folder, extra swiftc flags
module() {
    local name=$1 dir=$2; shift 2
    local lib="$B/lib$name.a"
    mapfile -t srcs < <(find "$dir" -name '*.swift' | sort)
    # Modules are built in dependency order, so once one is rebuilt every later one is too.
    if (( ! rebuilt )) && [[ -f $lib && -f "$B/$name.swiftmodule" ]] && [[ -z $(find "${srcs[@]}" Fuzz/build.sh -newer "$lib") ]]; then
        return
    fi
    rebuilt=1
    echo "building $name (${#srcs[@]} files)"
    swiftc "${SAN[@]}" "${FLAGS[@]}" -enable-testing -wmo -module-name "$name" \
        -emit-library -static -emit-module -emit-module-path "$B/$name.swiftmodule" \
        "$@" "${srcs[@]}" -o "$lib"
}

# The C target CKinecolorWeights: the default model's bytes, compiled in as SwiftPM does
# (Sources/Weights/README.md). Not instrumented: it holds data and two accessors.
weights() {
    local lib="$B/libCKinecolorWeights.a" obj="$B/CKinecolorWeights.o"
    local srcs=(Sources/Weights/default_model.c Sources/Weights/include/kinecolor_weights.h Sources/Weights/*.safetensors)
    if (( ! rebuilt )) && [[ -f $lib ]] && [[ -z $(find "${srcs[@]}" Fuzz/build.sh -newer "$lib") ]]; then
        return
    fi
    rebuilt=1
    echo "building CKinecolorWeights"
    clang -c -O0 -g -I Sources/Weights/include Sources/Weights/default_model.c -o "$obj"
    rm -f "$lib"
    ar rcs "$lib" "$obj"
}

# The C++ target COpticalFlow: OpenCV's DIS optical flow behind a C function. Not instrumented
# (OpenCV itself is not either). Its folder has no module map (SwiftPM generates one), so one is
# written into the build folder, naming the header by its absolute path; it is rewritten only
# when that path changes (a new file time would make the modules built against it stale).
copticalflow() {
    local lib="$B/libCOpticalFlow.a" obj="$B/COpticalFlow.o" map="$B/COpticalFlow/module.modulemap" text
    local srcs=(Sources/COpticalFlow/dis_flow.cpp Sources/COpticalFlow/include/kinecolor_flow.h)
    text=$(printf 'module COpticalFlow {\n    header "%s"\n    export *\n}' "$PWD/Sources/COpticalFlow/include/kinecolor_flow.h")
    if [[ ! -f $map || $(< "$map") != "$text" ]]; then
        printf '%s\n' "$text" > "$map"
        rebuilt=1
    fi
    if (( ! rebuilt )) && [[ -f $lib ]] && [[ -z $(find "${srcs[@]}" Fuzz/build.sh -newer "$lib") ]]; then
        return
    fi
    rebuilt=1
    echo "building COpticalFlow"
    clang++ -std=c++17 -c -O1 -g -I/usr/include/opencv4 -I Sources/COpticalFlow/include Sources/COpticalFlow/dis_flow.cpp -o "$obj"
    rm -f "$lib"
    ar rcs "$lib" "$obj"
}

# target name, libraries (dependents first), extra link flags
target() {
    local name=$1; shift
    local libs=() links=()
    while [[ $# -gt 0 && $1 != -- ]]; do libs+=("$1"); shift; done
    [[ $# -gt 0 ]] && shift
    links=("$@")
    local out="$B/fuzz-$name" srcs=("Fuzz/Targets/$name.swift" Fuzz/Support/FuzzInput.swift)
    local deps=("${srcs[@]}")
    for l in "${libs[@]}"; do deps+=("$B/lib$l.a"); done
    if [[ -f $out ]] && [[ -z $(find "${deps[@]}" -newer "$out") ]]; then return; fi
    echo "linking fuzz-$name"
    local largs=()
    for l in "${libs[@]}"; do largs+=("-l$l"); done
    swiftc "${SAN[@]}" "${FLAGS[@]}" -module-name "Fuzz_$name" "${srcs[@]}" -L "$B" "${largs[@]}" "${links[@]}" -o "$out" \
        2> >(grep -v "Cannot export local symbol '__asan" >&2)
}

ALL=(json safetensors npy config model timecode project)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${ALL[@]}")

need_model=0 need_shots=0 need_pipeline=0
for t in "${targets[@]}"; do
    case $t in
        json|safetensors|npy|config|model) need_model=1 ;;
        timecode) ;;
        project) need_model=1; need_shots=1; need_pipeline=1 ;;
        *) echo "unknown fuzz target '$t' (targets: ${ALL[*]})" >&2; exit 2 ;;
    esac
done

module KinecolorFiles Sources/Files
if (( need_model )); then
    module KinecolorEngine Sources/Engine
    weights
    module KinecolorModel Sources/Model
fi
(( need_shots )) && module KinecolorShots Sources/Shots
if (( need_pipeline )); then
    module KinecolorMedia Sources/Media
    copticalflow
    module KinecolorMotion Sources/Motion
    module KinecolorTemporal Sources/Temporal
    module KinecolorPipeline Sources/Pipeline
fi

blas_libs=($(pkg-config --libs openblas))
for t in "${targets[@]}"; do
    case $t in
        json|safetensors|npy|config|model) target "$t" KinecolorModel CKinecolorWeights KinecolorEngine KinecolorFiles -- "${blas_libs[@]}" ;;
        timecode) target "$t" KinecolorFiles ;;
        project) target "$t" KinecolorPipeline KinecolorMedia KinecolorTemporal KinecolorMotion COpticalFlow KinecolorShots \
                     KinecolorModel CKinecolorWeights KinecolorEngine KinecolorFiles \
                     -- "${blas_libs[@]}" $(pkg-config --libs $ffmpeg_pkgs) -lopencv_video -lopencv_core -lstdc++ ;;
    esac
done
