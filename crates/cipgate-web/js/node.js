// cipgate in Node: the API of index.js with the module read from this package's own file, so
// a server can validate a signup with exactly the decisions the browser shows (and, for rules
// that need no gateway facts, the gateway answers). Copied into dist/web/ by `cipgate build`.

import { readFile } from "node:fs/promises";
import { init as initWith } from "./index.js";

export * from "./index.js";

/** Loads the module from `cipgate_web_bg.wasm` beside this file (or the bytes given) once. */
export async function init(moduleBytes) {
  const bytes = moduleBytes ?? (await readFile(new URL("./cipgate_web_bg.wasm", import.meta.url)));
  return initWith(bytes);
}
