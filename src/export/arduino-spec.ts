/**
 * A checker for the Arduino library specification, revision 1.5 ("1.5 format" libraries:
 * library.properties at the root, sources under src/, examples/<name>/<name>.ino). It covers the
 * rules the Arduino IDE, arduino-cli and the Library Manager enforce on the metadata and layout;
 * it reads only the file system, so it runs anywhere.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { SEMVER } from "./package.js";

export const REQUIRED_PROPERTIES = ["name", "version", "author", "maintainer", "sentence", "paragraph", "category", "url", "architectures"] as const;

export const CATEGORIES = [
  "Display",
  "Communication",
  "Signal Input/Output",
  "Sensors",
  "Device Control",
  "Timing",
  "Data Storage",
  "Data Processing",
  "Other",
] as const;

const SOURCE_EXTENSIONS = new Set([".c", ".cpp", ".cc", ".cxx", ".h", ".hpp", ".hh", ".S", ".s"]);
const SKETCH_EXTENSIONS = [".ino", ".pde"];

export interface SpecProblem {
  /** the file or property the problem is about, e.g. "library.properties: version" */
  where: string;
  message: string;
}

/** Parses library.properties: key=value lines, `#` comments, blank lines. */
export function parseProperties(text: string): { values: Map<string, string>; problems: SpecProblem[] } {
  const values = new Map<string, string>();
  const problems: SpecProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      problems.push({ where: `library.properties:${i + 1}`, message: `not a key=value line: "${line}"` });
      return;
    }
    const key = line.slice(0, eq).trim();
    if (values.has(key)) problems.push({ where: `library.properties: ${key}`, message: "defined more than once" });
    values.set(key, line.slice(eq + 1).trim());
  });
  return { values, problems };
}

/** Library and sketch names: letters, digits, spaces, _ . -; start with a letter or digit; at most 63 characters. */
export function checkName(name: string, what: string): string | undefined {
  if (name.length === 0) return `${what} is empty`;
  if (name.length > 63) return `${what} "${name}" is longer than 63 characters`;
  if (!/^[A-Za-z0-9]/.test(name)) return `${what} "${name}" must start with a letter or a number`;
  const bad = name.match(/[^A-Za-z0-9 _.-]/);
  if (bad) return `${what} "${name}" contains "${bad[0]}"; only letters, numbers, spaces, underscores, dots and dashes are allowed`;
  return undefined;
}

/** Sketch folder names: like library names but no spaces. */
function checkSketchName(name: string): string | undefined {
  if (name.includes(" ")) return `sketch folder "${name}" contains a space`;
  return checkName(name, "sketch folder");
}

/** Every problem found in the library at dir; an empty list means it passes. */
export function checkArduinoLibrary(dir: string): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (where: string, message: string) => problems.push({ where, message });
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [{ where: dir, message: "not a directory" }];

  // library.properties
  const propsPath = join(dir, "library.properties");
  let props = new Map<string, string>();
  if (!existsSync(propsPath)) {
    add("library.properties", "missing: a 1.5-format library has library.properties at its root");
  } else {
    const parsed = parseProperties(readFileSync(propsPath, "utf8"));
    props = parsed.values;
    problems.push(...parsed.problems);
    for (const key of REQUIRED_PROPERTIES) {
      if (!props.has(key)) add(`library.properties: ${key}`, "required field is missing");
      else if (props.get(key) === "") add(`library.properties: ${key}`, "required field is empty");
    }
    const name = props.get("name");
    if (name) {
      const err = checkName(name, "name");
      if (err) add("library.properties: name", err);
    }
    const version = props.get("version");
    if (version && !SEMVER.test(version)) add("library.properties: version", `"${version}" is not a semantic version (e.g. 1.2.0)`);
    const category = props.get("category");
    if (category && !(CATEGORIES as readonly string[]).includes(category)) {
      add("library.properties: category", `"${category}" is not one of ${CATEGORIES.join(", ")}`);
    }
    const url = props.get("url");
    if (url && !/^https?:\/\/\S+$/.test(url)) add("library.properties: url", `"${url}" is not an http(s) URL`);
    const archs = props.get("architectures");
    if (archs !== undefined && archs !== "") {
      const list = archs.split(",").map((a) => a.trim());
      for (const a of list) {
        if (a === "" || !(a === "*" || /^[A-Za-z0-9_.-]+$/.test(a))) add("library.properties: architectures", `"${archs}" is not a comma-separated list of architectures or *`);
      }
      if (list.includes("*") && list.length > 1) add("library.properties: architectures", "* must stand alone");
    }
    const includes = props.get("includes");
    if (includes) {
      for (const header of includes.split(",").map((h) => h.trim())) {
        if (!existsSync(join(dir, "src", header))) add("library.properties: includes", `header "${header}" is not in src/`);
      }
    }
    for (const key of ["dot_a_linkage", "precompiled"]) {
      const v = props.get(key);
      if (v !== undefined && !["true", "false", "full"].includes(v)) add(`library.properties: ${key}`, `"${v}" is not true or false`);
    }
  }

  // src/ layout
  const src = join(dir, "src");
  if (!existsSync(src) || !statSync(src).isDirectory()) {
    add("src/", "missing: a 1.5-format library keeps its sources in src/");
  } else {
    const sources = listFiles(src).filter((f) => SOURCE_EXTENSIONS.has(extname(f)));
    if (sources.length === 0) add("src/", "holds no source files");
    if (!sources.some((f) => /\.(h|hpp|hh)$/.test(f))) add("src/", "holds no header for sketches to #include");
  }
  const rootSources = readdirSync(dir).filter((f) => SOURCE_EXTENSIONS.has(extname(f)) && statSync(join(dir, f)).isFile());
  if (rootSources.length) add("/", `source files at the root (${rootSources.join(", ")}) mix the 1.0 and 1.5 layouts; they belong in src/`);
  if (existsSync(join(dir, "utility"))) add("utility/", "the utility folder belongs to the 1.0 layout; with src/ put everything under src/");

  // examples/<n>/<n>.ino
  const examples = join(dir, "examples");
  if (existsSync(examples)) {
    if (!statSync(examples).isDirectory()) add("examples", "is not a directory");
    else checkExamples(examples, "examples", add);
  }
  return problems;
}

/** Each example folder is a sketch (<n>/<n>.ino) or a folder of further examples. */
function checkExamples(dir: string, rel: string, add: (where: string, message: string) => void): void {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    const where = `${rel}/${entry}`;
    if (!statSync(path).isDirectory()) {
      if (SKETCH_EXTENSIONS.includes(extname(entry))) add(where, "a sketch must be in a folder of the same name");
      continue;
    }
    const files = readdirSync(path);
    const sketches = files.filter((f) => SKETCH_EXTENSIONS.includes(extname(f)));
    if (sketches.length === 0) {
      const hasSubdirs = files.some((f) => statSync(join(path, f)).isDirectory());
      if (hasSubdirs) checkExamples(path, where, add);
      else add(where, "holds no sketch (.ino)");
      continue;
    }
    const nameErr = checkSketchName(entry);
    if (nameErr) add(where, nameErr);
    if (!SKETCH_EXTENSIONS.some((ext) => files.includes(`${entry}${ext}`))) {
      add(where, `the main sketch file must be named ${entry}.ino (found ${sketches.join(", ")})`);
    }
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile());
}
