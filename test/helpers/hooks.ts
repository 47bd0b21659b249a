/**
 * `x` typed as an after() hook finds it: a suite's `let s: T;` is unset there when its before()
 * failed before assigning it, which TypeScript's type of `s` does not say. `maybe(s)?.dispose()`
 * then cleans up what was made and leaves the before() failure as the one reported.
 */
export function maybe<T>(x: T): T | undefined {
  return x;
}
