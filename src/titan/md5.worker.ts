// One hash job per worker: the page posts the Blob (structured clone shares it, no copy) and
// terminates the worker to cancel, so no abort message is needed.
import { dagOfBlob, digestBlob, type Md5Reply, type Md5Request } from './md5-core.js';
import { refuseWasm, wasmAllowed } from './page-hash.js';
// Bundled into the worker, so md5-core's on-demand imports of them need no files of their own here.
import './md5-js.js';
import './md5-wasm.js';
import './unixfs.js';

// The project compiles against the DOM lib (the WebWorker lib conflicts with it), so the
// little of the worker scope used here is typed locally.
interface WorkerScope {
  onmessage: ((event: MessageEvent<Md5Request>) => void) | null;
  postMessage(message: Md5Reply, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = async (event: MessageEvent<Md5Request>) => {
  const reply = (message: Md5Reply) => scope.postMessage(message);
  reply({ type: 'started' });
  try {
    const { blob, progressBytes, wasm, cid, dag } = event.data;
    if (wasm === false) refuseWasm();
    const onProgress = (done: number, total: number) => reply({ type: 'progress', done, total });
    if (dag) {
      const result = await dagOfBlob(blob, { onProgress, progressBytes });
      // The blocks' bytes move to the page (each a buffer of its own), not copied.
      const buffers = result!.blocks.flatMap((b) => ('bytes' in b ? [b.bytes.buffer as ArrayBuffer] : []));
      return scope.postMessage({ type: 'dag', dag: result!, wasm: wasmAllowed() }, buffers);
    }
    const hashes = await digestBlob(blob, { onProgress, progressBytes, cid });
    reply({ type: 'done', md5: hashes?.md5 ?? '', ...(hashes?.cid && { cid: hashes.cid }), wasm: wasmAllowed() });
  } catch (err) {
    reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
