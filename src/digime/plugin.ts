import { BasePlugin, type PluginOpts, type Uppy, type UppyFile } from '@uppy/core';
import { filterFilesToUpload } from '@uppy/core/utils';
import type { WriteResult } from './protocol.js';

/** Uppy response body of a postbox write. */
export type DigiMeWriteBody = { status: WriteResult['status']; expires?: number };
export type DigiMeMeta = Record<string, unknown>;

export interface DigiMeWritePluginOptions extends PluginOpts {
  /** Encrypts and sends one file; rejects with a typed error. */
  write(file: UppyFile<DigiMeMeta, DigiMeWriteBody>, signal: AbortSignal): Promise<WriteResult>;
}

/**
 * Uppy uploader that hands each file to `write` (encrypt in the browser, POST to the app
 * backend). Files go one after another: each is read into WebCrypto chunk by chunk, and one at
 * a time keeps memory flat.
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
        const result = await this.opts.write(file, controller.signal);
        const current = this.uppy.getFile(file.id);
        if (current) this.uppy.emit('upload-success', current, { status: 200, body: { ...result } });
      } catch (err) {
        const current = this.uppy.getFile(file.id);
        if (current && !controller.signal.aborted) {
          const error = err instanceof Error ? err : new Error(String(err));
          this.uppy.emit('upload-error', current, { name: error.name, message: error.message });
        }
      } finally {
        this.#inflight.delete(file.id);
      }
    }
  };
}
