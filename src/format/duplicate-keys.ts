/**
 * JSON.parse keeps the last of two equal keys in one object and says nothing, so a model file with
 * `"shift": 3, ..., "shift": 30` would compile the second silently. This scan of the (already
 * valid) JSON text finds the first key that appears twice in one object, with its field path.
 */

interface Container {
  /** keys seen so far; null for an array */
  keys: Set<string> | null;
  path: string;
  /** the element index in an array, the last key in an object */
  index: number;
  key: string;
}

const childPath = (parent: Container): string =>
  parent.keys === null ? `${parent.path}[${parent.index}]` : parent.path ? `${parent.path}.${parent.key}` : parent.key;

/** The end index (exclusive) of the JSON string starting at text[start] === '"'. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** The path of the first duplicated key in valid JSON `text` (e.g. "layers[2].requant.shift"), or undefined. */
export function findDuplicateKey(text: string): string | undefined {
  const stack: Container[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const top = stack.at(-1);
    if (c === '"') {
      const end = stringEnd(text, i);
      let next = end;
      while (/\s/.test(text[next] ?? "")) next++;
      if (top?.keys && text[next] === ":") {
        const key = JSON.parse(text.slice(i, end)) as string;
        top.key = key;
        if (top.keys.has(key)) return childPath(top);
        top.keys.add(key);
      }
      i = end;
      continue;
    }
    if (c === "{" || c === "[") {
      const path = top ? childPath(top) : "";
      stack.push({ keys: c === "{" ? new Set() : null, path, index: 0, key: "" });
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === "," && top && top.keys === null) {
      top.index++;
    }
    i++;
  }
  return undefined;
}
