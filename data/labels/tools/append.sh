#!/bin/sh
# Append hand-typed labels ("<ref> <categories>" per line on stdin) to a label CSV.
# usage: sh tools/append.sh cir_test.csv < typed.txt
f="$1"
[ -f "$f" ] || echo "id,lang,categories,ref,text" > "$f"
awk 'NF>=2 && $1 !~ /^#/ {print $1 ",en," $2 "," $1 ","}' >> "$f"
