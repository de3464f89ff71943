#!/usr/bin/env bash
# Regenerates src/import/tflite/schema/ (the TFLite flatbuffer accessors the TFLite reader uses)
# from src/import/tflite/schema/schema.fbs (tensorflow/tflite-micro @ 90b983c2b3f1,
# tensorflow/compiler/mlir/lite/schema/schema.fbs, Apache-2.0).
#
#   bash scripts/gen-tflite-schema.sh [path/to/schema.fbs]
#
# Steps (see src/import/tflite/schema/README.md):
#   1. sed: drop the `(deprecated)` attribute from the one enum value, union member and table
#      that carry it (REDUCE_WINDOW, ReduceWindowOptions): flatc 2.0.8 (Debian's) rejects it
#      there; fields keep theirs (flatc 2.0.8 accepts it on fields);
#   2. flatc --ts --gen-all;
#   3. sed: give relative imports a `.js` extension (the project is ESM with NodeNext
#      resolution, which requires it; flatc 2.0.8 writes extensionless paths);
#   4. scripts/gen-tflite-fields.ts: the field accessor list (fields.ts) for generic decoding.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/src/import/tflite/schema"
schema=${1:-"$out/schema.fbs"}

want="flatc version 2.0.8"
have=$(flatc --version)
if [ "$have" != "$want" ]; then
  echo "warning: $have, the committed code was generated with $want" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -E 's/ \(deprecated\)(,| \{)/\1/' "$schema" >"$tmp/schema.fbs"
(cd "$tmp" && flatc --ts --gen-all -o out schema.fbs)
find "$tmp/out" -name '*.ts' -exec sed -i -E "s#^((import|export) .* from '\.{1,2}/[^']*)';#\1.js';#" {} +

rm -rf "$out/tflite" "$out/schema_generated.ts"
cp -r "$tmp/out/." "$out/"
(cd "$repo" && npx tsx scripts/gen-tflite-fields.ts "$out" >"$tmp/fields.ts")
mv "$tmp/fields.ts" "$out/fields.ts"
echo "regenerated $out"
