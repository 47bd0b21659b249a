/**
 * A setting read from the environment (or a flag), or undefined when it is unset or empty: `FOO=`
 * means "not set", as `FOO || default` always read it. Pure; used by the CLI, the client and the server.
 */
export function nonEmpty(v: string | undefined): string | undefined {
  return v === '' ? undefined : v;
}
