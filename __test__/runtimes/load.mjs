// Loads the package and prints how that went as one JSON line: run by
// scripts/test-runtimes.mjs under Deno without --allow-ffi (and without
// --allow-sys), where the error must be ours and name the flag.
import { createRequire } from 'node:module';

try {
  createRequire(import.meta.url)('../../dist/index.js');
  console.log(JSON.stringify({ loaded: true }));
} catch (error) {
  console.log(JSON.stringify({ loaded: false, name: error.name, message: error.message }));
}
