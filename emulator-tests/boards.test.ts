import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BOARDS_DIR, BoardError, closest, DEFAULT_BOARD, getBoard, linkRegions, loadBoards, scanBoardDir } from "../src/firmware/boards.js";

const tmp = mkdtempSync(join(tmpdir(), "strongnet-boards-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function withBoard(mutate: (b: Record<string, any>) => void, file = "nucleo-f411re.json"): string {
  const dir = mkdtempSync(join(tmp, "cat-"));
  const b = JSON.parse(readFileSync(join(BOARDS_DIR, "nucleo-f411re.json"), "utf8"));
  mutate(b);
  writeFileSync(join(dir, file), JSON.stringify(b));
  return dir;
}

describe("board catalogue", () => {
  it("ships the nine boards, the default among them", () => {
    const names = loadBoards().map((b) => b.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "bbc-microbit-v1",
        "arduino-zero",
        "lm3s6965",
        "arduino-due",
        "nucleo-f411re",
        "netduinoplus2",
        "nucleo-f767zi",
        "lpcxpresso55s69",
        "alif-e7-devkit",
      ]),
    );
    expect(getBoard(DEFAULT_BOARD).core).toBe("cortex-m4");
  });

  it("linker regions are min(board, machine)", () => {
    expect(linkRegions(getBoard("arduino-zero")).ram).toEqual({ origin: 0x20000000, length: 16 * 1024 });
    expect(linkRegions(getBoard("arduino-due")).ram.length).toBe(96 * 1024);
    expect(linkRegions(getBoard("netduinoplus2")).flash).toEqual({ origin: 0x08000000, length: 1024 * 1024 });
    // the M33 runs secure on mps2-an505: SSRAM1's secure alias and SSRAM2/3's, cut to the LPC55S69's 640 KB / 320 KB
    expect(linkRegions(getBoard("lpcxpresso55s69"))).toEqual({
      flash: { origin: 0x10000000, length: 640 * 1024 },
      ram: { origin: 0x38000000, length: 320 * 1024 },
    });
    // the M55 on mps3-an547: its 512 KB ITCM and DTCM are less than the board's 5.5 MB MRAM and 1 MB DTCM
    expect(linkRegions(getBoard("alif-e7-devkit"))).toEqual({ flash: { origin: 0, length: 512 * 1024 }, ram: { origin: 0x20000000, length: 512 * 1024 } });
  });

  it("an unknown board is refused with the list of known names", () => {
    expect(() => getBoard("esp32")).toThrow(BoardError);
    expect(() => getBoard("esp32")).toThrow(/unknown board "esp32"; known boards: .*bbc-microbit-v1.*nucleo-f411re/);
  });

  it("a typo gets a did-you-mean", () => {
    expect(() => getBoard("nucleo-f41re")).toThrow(/unknown board "nucleo-f41re" \(did you mean "nucleo-f411re"\?\)/);
    expect(closest("microbit", ["bbc-microbit-v1", "lm3s6965"])).toBe("bbc-microbit-v1");
    expect(closest("zzzzzz", ["bbc-microbit-v1", "lm3s6965"])).toBeUndefined();
  });

  it("a path is a board file, whose name need not match the file name", () => {
    const dir = withBoard((b) => (b.name = "my-board"), "anything.json");
    expect(getBoard(join(dir, "anything.json")).name).toBe("my-board");
    expect(() => getBoard(join(dir, "missing.json"))).toThrow(/board file .*missing\.json: no such file/);
  });

  it("a board in a folder is found by name; a broken file beside it is skipped and named", () => {
    const dir = withBoard((b) => (b.name = "my-board"), "my-board.json");
    writeFileSync(join(dir, "broken.json"), "{");
    const scan = scanBoardDir(dir);
    expect(scan.boards.map((b) => b.name)).toEqual(["my-board"]);
    expect(scan.problems.map((p) => p.message)).toEqual([expect.stringMatching(/broken\.json: not valid JSON/)]);
    expect(getBoard("my-board", dir).name).toBe("my-board");
    expect(() => getBoard("broken", dir)).toThrow(/board "broken" cannot be used: board file .*broken\.json: not valid JSON/);
  });

  it.each([
    ["a missing field", (b: any) => delete b.clockHz, /nucleo-f411re\.json: field clockHz:/],
    ["a wrong type", (b: any) => (b.ramBytes = "128K"), /field ramBytes:/],
    ["an unknown core", (b: any) => (b.core = "cortex-a53"), /field core:/],
    ["a bad nested field", (b: any) => (b.qemu.ram.origin = "twenty"), /field qemu\.ram\.origin:/],
    ["a bad cflag", (b: any) => b.cflags.push("-O3"), /field cflags\[4\]:/],
    ["cflags for another core", (b: any) => (b.cflags[0] = "-mcpu=cortex-m7"), /field cflags: must contain -mcpu=cortex-m4/],
    ["an unknown field", (b: any) => (b.colour = "blue"), /field \(root\):.*colour/],
    ["a name that is not the file's", (b: any) => (b.name = "other-board"), /field name: "other-board" must match the file name/],
  ])("a malformed board file (%s) is skipped, naming the file and field", (_what, mutate, message) => {
    const dir = withBoard(mutate);
    expect(loadBoards(dir)).toEqual([]);
    const { problems } = scanBoardDir(dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(BoardError);
    expect(problems[0]!.message).toMatch(message);
    // given as a path, the same file is refused with the same reason (except the name rule)
    if (!String(message).includes("must match")) expect(() => getBoard(join(dir, "nucleo-f411re.json"))).toThrow(message);
  });

  it("a board file that is not JSON is skipped, naming the file", () => {
    const dir = mkdtempSync(join(tmp, "cat-"));
    writeFileSync(join(dir, "x.json"), "{ name: ");
    expect(scanBoardDir(dir).problems[0]!.message).toMatch(/board file .*x\.json: not valid JSON/);
  });
});
