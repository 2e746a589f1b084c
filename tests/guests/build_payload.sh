#!/bin/sh
# Assembles one payload into a flat binary linked and loaded at 0x10000.
# Usage: build_payload.sh <src.S> <out.bin> [cpp defines...]
set -eu
src=$1
out=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -c -nostdinc -I. "$@" -o "$tmp/p.o" "$src"
ld -m elf_x86_64 -nostdlib -static --build-id=none -Ttext=0x10000 -e _start \
  -o "$tmp/p.elf" "$tmp/p.o"
objcopy -O binary -j .text "$tmp/p.elf" "$out"
