/**
 * AVR, where int is 16 bits: the generated C builds warning-free with avr-gcc for the ATmega2560
 * (Arduino Mega) under -std=c99 -Wall -Wextra -pedantic -Werror, and run in simavr it gives the
 * reference interpreter's output byte for byte on random models (64-bit requantization products,
 * pad values, every layer kind) and extreme inputs. Skipped where avr-gcc or simavr is missing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatValues, generateC } from "../src/codegen/index.js";
import { shapeSize } from "../src/ir/index.js";
import { predict } from "../src/reference/interpreter.js";
import { Rng } from "../src/util/random.js";
import { randomGraph, tempDir } from "./helpers/export-fixtures.js";
import { STRICT_FLAGS } from "./helpers/host-c.js";

const have = (cmd: string, arg: string) => spawnSync(cmd, [arg]).error === undefined;
const available = have("avr-gcc", "--version") && have("simavr", "--list-cores");
const VECTORS = 6;

describe.skipIf(!available)("generated C on AVR (16-bit int) under simavr", () => {
  it.each([61, 62, 63, 64, 65])("random model %i: strict avr-gcc build, bit-exact in simavr", (seed) => {
    const graph = randomGraph(seed);
    const dir = tempDir("avr");
    const { source, header } = generateC(graph);
    writeFileSync(join(dir, `${graph.name}.c`), source);
    writeFileSync(join(dir, `${graph.name}.h`), header);
    const size = shapeSize(graph.inputShape);
    const rng = new Rng(seed);
    const vectors = [new Int8Array(size).fill(-128), new Int8Array(size).fill(127), ...Array.from({ length: VECTORS - 2 }, () => rng.int8Array(size))];
    writeFileSync(join(dir, "main.c"), harness(graph.name, size, vectors));
    const elf = join(dir, "test.elf");
    execFileSync("avr-gcc", ["-mmcu=atmega2560", "-Os", ...STRICT_FLAGS, "-o", elf, join(dir, "main.c"), join(dir, `${graph.name}.c`)], { stdio: "pipe" });
    const run = spawnSync("simavr", ["-m", "atmega2560", "-f", "16000000", elf], { encoding: "utf8", timeout: 60_000 });
    const text = `${run.stdout}${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
    const lines = text.split("\n").filter((l) => l.startsWith("v")).map((l) => l.trim().replace(/\.+$/, ""));
    expect(lines).toHaveLength(VECTORS);
    vectors.forEach((v, i) => {
      const expected = Array.from(predict(graph, v), (x) => (x & 0xff).toString(16).padStart(2, "0")).join("");
      expect(lines[i], `vector ${i}`).toBe(`v${i} ${expected}`);
    });
  }, 120_000);
});

/** Bare-metal ATmega2560 program: vectors in flash, each output printed as hex over USART0. */
function harness(name: string, size: number, vectors: Int8Array[]): string {
  const NAME = name.toUpperCase();
  const all = new Int8Array(vectors.length * size);
  vectors.forEach((v, i) => all.set(v, i * size));
  return `#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/interrupt.h>
#include <avr/sleep.h>
#include "${name}.h"

static const int8_t vectors[${vectors.length * size}] PROGMEM = {
${formatValues(all, 16, 4)}
};

static void put(char c)
{
    while (!(UCSR0A & (1 << UDRE0))) {
    }
    UDR0 = (uint8_t)c;
}

int main(void)
{
    static int8_t in[${NAME}_INPUT_SIZE];
    static int8_t out[${NAME}_OUTPUT_SIZE];
    static const char hex[] = "0123456789abcdef";
    uint16_t v, i;
    UCSR0B = (1 << TXEN0);
    for (v = 0; v < ${vectors.length}u; v++) {
        memcpy_P(in, vectors + (uint32_t)v * ${size}u, sizeof in);
        ${name}_predict(in, out);
        put('v');
        put((char)('0' + v));
        put(' ');
        for (i = 0; i < sizeof out; i++) {
            put(hex[((uint8_t)out[i]) >> 4]);
            put(hex[((uint8_t)out[i]) & 15]);
        }
        put('\\n');
    }
    cli();
    sleep_enable();
    sleep_cpu();
    return 0;
}
`;
}
