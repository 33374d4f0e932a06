// The TypeScript compiler settings shared by the sample check
// (scripts/check-samples.mjs) and the type check of examples/
// (scripts/include-examples.mjs): ES modules resolved as Node resolves
// them, so `mcp-auth-rs` is read through its package `exports`.

/** Strict TypeScript (`ts` samples, `.ts`/`.mts` examples). */
export const STRICT_TS = Object.freeze({ strict: true, noUncheckedIndexedAccess: true });
/** JavaScript checked with its inferred and JSDoc types, not strict: plain JavaScript has no non-null assertions. */
export const CHECKED_JS = Object.freeze({ allowJs: true, checkJs: true, strict: false });

/** `compilerOptions` for a `tsc --noEmit` run: the shared base plus `extra` (STRICT_TS or CHECKED_JS). */
export function compilerOptions(extra) {
  return {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'Node16',
    moduleResolution: 'Node16',
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    ...extra,
  };
}
