/** The one Trusted Types policy of this library: it lets only its own workers through. */
export const TRUSTED_TYPES_POLICY = 'upload-elements';

/** The worker files this library starts (the md5/CID hasher, the contract summary). */
const OWN_WORKERS = /(md5|summary)\.worker[^/]*\.[jt]s$/;

interface ScriptUrlPolicy {
  createScriptURL(url: string): unknown;
}
let policy: ScriptUrlPolicy | undefined;

/** The blob: URL made for each of our workers served from another origin. */
const blobs: Record<string, string> = {};

/**
 * Our own worker's URL on the page's origin; or, for one served from the origin of this very
 * script when that is another than the page's (the CDN bundle), a blob: URL of the page's origin
 * whose module only imports it: a Worker can only start from the page's origin, a module Worker
 * can import a script served with CORS (as CDNs serve), and the script's own relative imports
 * still resolve against its real URL. The page's CSP must allow `worker-src blob: <that origin>`
 * (the import is a worker fetch too); where it does not, the Worker fails and the work runs on the
 * main thread. Any other URL throws: the policy never passes a blob: URL it did not make.
 */
function ownWorkerUrl(s: string): string {
  const url = new URL(s);
  const elsewhere = url.origin !== location.origin;
  if (!OWN_WORKERS.test(url.pathname) || (elsewhere && url.origin !== new URL(import.meta.url).origin))
    throw new TypeError(`${TRUSTED_TYPES_POLICY} only creates its own workers`);
  return elsewhere ? (blobs[s] ??= URL.createObjectURL(new Blob([`import ${JSON.stringify(s)}`], { type: 'text/javascript' }))) : s;
}

/**
 * A page that sends `require-trusted-types-for 'script'` refuses a plain URL for a Worker. On such
 * a page the URL goes through our policy (pages that allow-list policy names with
 * `trusted-types` must list `upload-elements`; otherwise the work runs on the main thread).
 */
function trustedScriptUrl(url: URL): string {
  const factory = (
    globalThis as { trustedTypes?: { createPolicy(name: string, rules: { createScriptURL(s: string): string }): ScriptUrlPolicy } }
  ).trustedTypes;
  if (!factory) return ownWorkerUrl(url.href);
  policy ??= factory.createPolicy(TRUSTED_TYPES_POLICY, { createScriptURL: ownWorkerUrl });
  return policy.createScriptURL(url.href) as string;
}

/**
 * Use as a module-local `Worker`, so that the literal `new Worker(new URL(…, import.meta.url))`
 * form, which Vite recognises and bundles, still goes through Trusted Types at run time.
 */
export const TrustedWorker = function TrustedWorker(url: URL, options?: WorkerOptions): Worker {
  return new globalThis.Worker(trustedScriptUrl(url), options);
} as unknown as typeof globalThis.Worker;
