/** The one Trusted Types policy of this library: it lets only its own workers through. */
export const TRUSTED_TYPES_POLICY = 'upload-elements';

/** The worker files this library starts (the md5/CID hasher, the contract summary). */
const OWN_WORKERS = /(md5|summary)\.worker[^/]*\.[jt]s$/;

interface ScriptUrlPolicy {
  createScriptURL(url: string): unknown;
}
let policy: ScriptUrlPolicy | undefined;

/**
 * A page that sends `require-trusted-types-for 'script'` refuses a plain URL for a Worker. On such
 * a page the URL goes through our policy (pages that allow-list policy names with
 * `trusted-types` must list `upload-elements`; otherwise the work runs on the main thread).
 */
function trustedScriptUrl(url: URL): URL | string {
  const factory = (
    globalThis as { trustedTypes?: { createPolicy(name: string, rules: { createScriptURL(s: string): string }): ScriptUrlPolicy } }
  ).trustedTypes;
  if (!factory) return url;
  policy ??= factory.createPolicy(TRUSTED_TYPES_POLICY, {
    createScriptURL(s) {
      if (!OWN_WORKERS.test(new URL(s).pathname)) throw new TypeError(`${TRUSTED_TYPES_POLICY} only creates its own workers`);
      return s;
    },
  });
  return policy.createScriptURL(url.href) as string;
}

/**
 * Use as a module-local `Worker`, so that the literal `new Worker(new URL(…, import.meta.url))`
 * form, which Vite recognises and bundles, still goes through Trusted Types at run time.
 */
export const TrustedWorker = function TrustedWorker(url: URL, options?: WorkerOptions): Worker {
  return new globalThis.Worker(trustedScriptUrl(url) as string, options);
} as unknown as typeof globalThis.Worker;
