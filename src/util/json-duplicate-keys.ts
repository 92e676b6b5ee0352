/**
 * Finds the first object key that appears twice in the same JSON object.
 *
 * JSON.parse keeps the last of duplicate keys silently, so two readers of the
 * same bytes can disagree (one sees the first `digest`, another the last):
 * for manifests and credentials files a duplicate key is refused instead.
 *
 * The scan is linear and allocates one Set per open object. It expects text
 * that JSON.parse accepted (call it after a successful parse); on text that
 * is not JSON it returns whatever it found so far, never throws.
 */

export interface DuplicateKey {
  /** The decoded key. */
  readonly key: string;
  /** 1-based line and column of the second occurrence's opening quote. */
  readonly line: number;
  readonly column: number;
}

function position(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (let k = 0; k < at; k++) {
    if (text.charCodeAt(k) === 10) {
      line++;
      column = 1;
    } else column++;
  }
  return { line, column };
}

/** The end index (exclusive) of the string literal opening at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92) i += 2; // backslash: skip the escaped character
    else if (c === 34) return i + 1;
    else i++;
  }
  return text.length;
}

/** The first duplicate key in `text`, or undefined when every object's keys are distinct. */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  // One frame per open container: a Set of keys for objects, null for arrays.
  const frames: (Set<string> | null)[] = [];
  // Inside an object, a string is a key when it follows `{` or `,`.
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const end = stringEnd(text, i);
      const top = frames[frames.length - 1];
      if (expectKey && top) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end)) as string;
        } catch {
          return undefined;
        }
        if (top.has(key)) return { key, ...position(text, i) };
        top.add(key);
      }
      expectKey = false;
      i = end - 1;
    } else if (c === 123) {
      frames.push(new Set());
      expectKey = true;
    } else if (c === 91) {
      frames.push(null);
      expectKey = false;
    } else if (c === 125 || c === 93) {
      frames.pop();
      expectKey = false;
    } else if (c === 44) {
      expectKey = frames[frames.length - 1] instanceof Set;
    } else if (c === 58) {
      expectKey = false;
    }
  }
  return undefined;
}
