#!/bin/bash
# Verifies every shipped model on an M0, M3, M4 and M7 board under QEMU and keeps each
# `verify --json` report, so two checkouts can be compared instruction for instruction.
# usage: scripts/verify-shipped.sh OUTDIR   (run from a checkout's root)
set -u
out=${1:?usage: scripts/verify-shipped.sh OUTDIR}
mkdir -p "$out"
for m in mnist_demo mnist_strong mnist_dense fashion_strong fashion_dense; do
  for b in bbc-microbit-v1 lm3s6965 nucleo-f411re nucleo-f767zi; do
    node bin/strongnet.js verify "models/$m.json" --board "$b" --json > "$out/$m.$b.json" 2> "$out/$m.$b.err"
    echo "$m $b rc=$?" >> "$out/status"
  done
done
