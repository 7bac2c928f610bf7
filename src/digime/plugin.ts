import { BasePlugin, type PluginOpts, type Uppy, type UppyFile } from '@uppy/core';
import { filterFilesToUpload } from '@uppy/core/utils';
import { UploadElementsError } from '../internal/errors.js';
import type { DigiMeWriterClient } from './client.js';
import { BACKEND_ERRORS, type FileDescriptor, type Postbox, type WriteResult } from './protocol.js';

/** Uppy response body of a postbox write. */
export type DigiMeWriteBody = { status: WriteResult['status']; expires?: number };
export type DigiMeMeta = Record<string, unknown>;

export interface DigiMeWritePluginOptions extends PluginOpts {
  /**
   * The client that encrypts and sends each file (as `TitanUploadPlugin` takes its client), or
   * a function answering the current one.
   */
  client?: DigiMeWriterClient | (() => DigiMeWriterClient | undefined);
  /** The postbox to write to now; none: the file fails with `not-connected`. */
  postbox?: () => Postbox | undefined;
  /** The file descriptor for a file; default `{mimeType: file's type, accounts: []}`. */
  descriptor?: (file: UppyFile<DigiMeMeta, DigiMeWriteBody>) => FileDescriptor;
  /** The session's postbox changed under a write (another tab connected): store it. */
  onPostboxChanged?: (postbox: Postbox) => void | Promise<void>;
  /** The failure text of a write without a postbox; default English. */
  notConnectedMessage?: string;
  /** A file's write begins (files go one after another). */
  onWriteStart?: (file: UppyFile<DigiMeMeta, DigiMeWriteBody>) => void;
  /** @deprecated Pass `client` and `postbox`. Encrypts and sends one file; rejects with a typed error. */
  write?(file: UppyFile<DigiMeMeta, DigiMeWriteBody>, signal: AbortSignal): Promise<WriteResult>;
}

/**
 * Uppy uploader that writes each file through the client (encrypt in the browser, POST the
 * ciphertext to the app backend). Files go one after another: each is read into WebCrypto
 * chunk by chunk, and one at a time keeps memory flat.
 */
export class DigiMeWritePlugin extends BasePlugin<DigiMeWritePluginOptions, DigiMeMeta, DigiMeWriteBody> {
  readonly #inflight = new Map<string, AbortController>();

  constructor(uppy: Uppy<DigiMeMeta, DigiMeWriteBody>, opts: DigiMeWritePluginOptions) {
    super(uppy, opts);
    this.id = opts.id ?? 'DigiMeWrite';
    this.type = 'uploader';
  }

  override install(): void {
    this.uppy.addUploader(this.#upload);
    this.uppy.on('cancel-all', this.#cancelAll);
    this.uppy.on('file-removed', this.#cancelOne);
  }

  override uninstall(): void {
    this.uppy.removeUploader(this.#upload);
    this.uppy.off('cancel-all', this.#cancelAll);
    this.uppy.off('file-removed', this.#cancelOne);
    this.#cancelAll();
  }

  readonly #cancelAll = (): void => {
    for (const c of this.#inflight.values()) c.abort();
  };

  readonly #cancelOne = (file: UppyFile<DigiMeMeta, DigiMeWriteBody> | undefined): void => {
    if (file) this.#inflight.get(file.id)?.abort();
  };

  readonly #upload = async (fileIDs: string[]): Promise<void> => {
    const files = filterFilesToUpload(fileIDs.map((id) => this.uppy.getFile(id)).filter((f) => f != null)) as UppyFile<
      DigiMeMeta,
      DigiMeWriteBody
    >[];
    if (!files.length) return;
    this.uppy.emit('upload-start', files);
    for (const file of files) {
      if (!this.uppy.getFile(file.id)) continue;
      const controller = new AbortController();
      this.#inflight.set(file.id, controller);
      try {
        this.opts.onWriteStart?.(file);
        const result = await this.#write(file, controller.signal);
        const current = this.uppy.getFile(file.id);
        if (current) this.uppy.emit('upload-success', current, { status: 200, body: { ...result } });
      } catch (err) {
        const current = this.uppy.getFile(file.id);
        if (current && !controller.signal.aborted) {
          // The error itself (its code included), as TitanUploadPlugin passes it.
          const error = err instanceof Error ? err : new Error(String(err));
          this.uppy.emit('upload-error', current, error as Error & { details?: string });
        }
      } finally {
        this.#inflight.delete(file.id);
      }
    }
  };

  #write(file: UppyFile<DigiMeMeta, DigiMeWriteBody>, signal: AbortSignal): Promise<WriteResult> {
    const { postbox, write } = this.opts;
    const client = typeof this.opts.client === 'function' ? this.opts.client() : this.opts.client;
    if (!this.opts.client && write) return write(file, signal);
    const to = postbox?.();
    if (!client || !to) {
      const message = this.opts.notConnectedMessage ?? 'Connect digi.me before writing files.';
      return Promise.reject(new UploadElementsError(BACKEND_ERRORS.notConnected, message));
    }
    if (file.isRemote || !(file.data instanceof Blob)) {
      return Promise.reject(new UploadElementsError('unsupported', 'Only local files can be encrypted in the browser.'));
    }
    const descriptor = this.opts.descriptor?.(file) ?? { mimeType: file.type || 'application/octet-stream', accounts: [] };
    return client.write(file.data, file.name ?? 'file', descriptor, to, { signal, onPostboxChanged: this.opts.onPostboxChanged });
  }
}
