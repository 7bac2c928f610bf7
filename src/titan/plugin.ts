import { BasePlugin, EventManager, type Body, type Meta, type PluginOpts, type Uppy, type UppyFile } from '@uppy/core';
import { filterFilesToEmitUploadStarted, filterFilesToUpload, TaskQueue } from '@uppy/core/utils';
import { PARALLEL_HASH_BYTES, type TitanClient, type TransferReportOutcome, type UploadAssetResult } from './client.js';
import { abortedError, TitanError } from './errors.js';

/** What `upload-success` carries in `response.body` for a Titan upload (use it as Uppy's `B`). */
export type TitanBody = {
  cid: string;
  url?: string;
  deduplicated: boolean;
  /** The node's CID equals the one computed here from the file. */
  verified: boolean;
  extraId?: string;
  /** Titan's node id, with its `c_` prefix. */
  nodeId?: string;
  md5: string;
  /** Whether Titan took the transfer/report that triggers the app's upload callback. */
  report: TransferReportOutcome;
  /** For a file stored as part of a folder asset (`folders: 'asset'`): that folder; `cid` is its root. */
  folder?: TitanFolderBody;
};

/** The folder asset a file went into; the same for each of its files. */
export interface TitanFolderBody {
  /** The folder's key in this upload (`folder:<name>:<first file id>`). */
  id: string;
  name: string;
  /** The CAR's size (the asset's size at Titan). */
  size: number;
  /** Its files: Uppy ids, paths inside the folder, sizes. */
  files: { fileId: string; path: string; size: number }[];
}

export interface TitanUploadPluginOptions<M extends Meta, B extends Body> extends PluginOpts {
  client: TitanClient;
  /** The app's extra_id for a file (Titan echoes it in the upload callback). */
  extraIdProvider?: (file: UppyFile<M, B>) => Promise<string | undefined>;
  areaId?: string[];
  groupId?: number;
  /** A folder path (`invoices/2026`), created when missing; overrides `groupId`. */
  folder?: string;
  /** Files this large or larger upload while they hash (default `PARALLEL_HASH_BYTES`; `Infinity`: never). */
  parallelHashBytes?: number;
  /** Files sent to nodes at the same time (default 3). Hashing runs one file at a time ahead of them. */
  limit?: number;
  /**
   * Files of a dropped or picked folder (Uppy's `meta.relativePath`): `files` (default) stores each
   * as an asset of its own; `asset` stores each top folder as ONE asset, a CAR of its UnixFS
   * directory (the code loads when first needed). Files outside a folder are stored one by one.
   */
  folders?: 'files' | 'asset';
  /** The app's extra_id for a folder stored as one asset. */
  folderExtraIdProvider?: (folder: { name: string; size: number; files: number }) => Promise<string | undefined>;
  /** Shown while a file is hashed (Uppy's preprocess message). */
  hashingMessage?: string;
  /**
   * A file removed or cancelled after its create_asset was sent: Titan keeps what it records
   * then, so the upload finishes. Called once it has, with the body when Titan stored the
   * file and `undefined` when it did not. Uppy has forgotten the file and hears of neither.
   */
  onSettledAfterCancel?: (file: UppyFile<M, B>, body: TitanBody | undefined) => void;
}

/**
 * Uppy uploader that stores every file in Titan Storage through a `TitanClient`. Hashing is
 * pipelined: while one file uploads, the next is already being hashed. Removing a file or
 * cancelling all aborts its upload up to create_asset, so nothing is recorded; once create_asset
 * is sent it finishes (see `onSettledAfterCancel`). A file keeps one extra_id across retries.
 */
export class TitanUploadPlugin<M extends Meta, B extends Body> extends BasePlugin<TitanUploadPluginOptions<M, B>, M, B> {
  /** One file hashes at a time (the next while the current one uploads). */
  readonly #hashing = new TaskQueue({ concurrency: 1 });
  readonly #uploading: TaskQueue;
  /** One extra_id per file for all its attempts: the asset a lost answer left behind has the first. */
  readonly #extraIds = new Map<string, Promise<string | undefined>>();
  /** Files whose create_asset has been sent. */
  readonly #committed = new Set<string>();
  /** Files in a folder being uploaded as one asset. */
  readonly #inFolder = new Set<string>();

  constructor(uppy: Uppy<M, B>, opts: TitanUploadPluginOptions<M, B>) {
    super(uppy, opts);
    this.id = opts.id ?? 'TitanUpload';
    this.type = 'uploader';
    this.#uploading = new TaskQueue({ concurrency: Math.max(1, opts.limit ?? 3) });
  }

  override setOptions(newOpts: Partial<TitanUploadPluginOptions<M, B>>): void {
    super.setOptions(newOpts);
    if (newOpts.limit !== undefined) this.#uploading.concurrency = Math.max(1, newOpts.limit);
  }

  override install(): void {
    this.uppy.addUploader(this.#handleUpload);
    this.uppy.on('file-removed', this.#forget);
  }

  override uninstall(): void {
    this.uppy.removeUploader(this.#handleUpload);
    this.uppy.off('file-removed', this.#forget);
  }

  /** True while the file's create_asset is on its way: cancelling it no longer stops the upload. */
  committed(fileId: string): boolean {
    return this.#committed.has(fileId);
  }

  #forget = (file: UppyFile<M, B> | undefined): void => {
    if (file) this.#extraIds.delete(file.id);
  };

  #handleUpload = async (fileIDs: string[]): Promise<void> => {
    if (fileIDs.length === 0) return;
    let files = filterFilesToUpload(this.uppy.getFilesByIds(fileIDs));
    const folders = new Map<string, UppyFile<M, B>[]>();
    if (this.opts.folders === 'asset') {
      // A folder goes whole: a file retried alone brings the folder's other unstored files along.
      const pending = filterFilesToUpload(this.uppy.getFiles()).filter((f) => !this.#inFolder.has(f.id));
      for (const file of files) {
        const top = topFolder(file);
        if (top === undefined || folders.has(top)) continue;
        folders.set(top, [...new Set([file, ...pending.filter((f) => topFolder(f) === top)])]);
      }
      files = files.filter((f) => topFolder(f) === undefined);
    }
    const all = [...files, ...[...folders.values()].flat()];
    const toEmit = filterFilesToEmitUploadStarted(all);
    if (toEmit.length) this.uppy.emit('upload-start', toEmit);
    await Promise.allSettled([
      ...files.map((file) => this.#uploadFile(file)),
      ...[...folders].map(([name, members]) => this.#uploadFolder(name, members)),
    ]);
  };

  /** The files of a folder as one asset (the code loads when a folder is first stored so). */
  async #uploadFolder(name: string, members: UppyFile<M, B>[]): Promise<void> {
    for (const m of members) this.#inFolder.add(m.id);
    try {
      await (
        await import('./folder-plugin.js')
      ).uploadFolderFiles(this.uppy, this.opts, name, members, { EventManager, relativePath, toBody });
    } finally {
      for (const m of members) this.#inFolder.delete(m.id);
    }
  }

  async #uploadFile(file: UppyFile<M, B>): Promise<void> {
    const controller = new AbortController();
    const events = new EventManager(this.uppy);
    events.onFileRemove(file.id, () => controller.abort());
    events.onCancelAll(file.id, () => controller.abort());
    const { signal } = controller;
    const started = Date.now();
    const current = () => this.uppy.getFile(file.id) ?? file;
    try {
      if (file.isRemote || !file.data) throw new TitanError('unsupported', 'Only local files can be uploaded to Titan.');
      const data = file.data;
      const name = file.meta.name ?? file.name;
      const extraIdPromise = this.#extraId(file, name);
      // Rejections are handled where it is awaited; this only keeps an early one from being "unhandled".
      extraIdPromise.catch(() => undefined);

      // A large file uploads while it hashes (uploadAsset does both); a small one hashes first,
      // the next one while the current one uploads.
      const parallelHashBytes = this.opts.parallelHashBytes ?? PARALLEL_HASH_BYTES;
      const hashes =
        data.size >= parallelHashBytes
          ? undefined
          : await inTurn(this.#hashing, signal, () => {
              const message = this.opts.hashingMessage ?? 'Hashing…';
              return this.opts.client.hash(data, {
                signal,
                onProgress: (done, total) =>
                  this.uppy.emit('preprocess-progress', current(), { mode: 'determinate', message, value: total ? done / total : 1 }),
              });
            });
      if (hashes) this.uppy.emit('preprocess-complete', current());

      const result = await inTurn(this.#uploading, signal, async () => {
        const extraId = await extraIdPromise;
        return this.opts.client.uploadAsset(data, {
          name,
          ...(hashes ? { hashes } : {}),
          parallelHashBytes,
          signal,
          ...(extraId ? { extraId } : {}),
          ...(this.opts.areaId?.length ? { areaId: this.opts.areaId } : {}),
          ...(this.opts.groupId !== undefined ? { groupId: this.opts.groupId } : {}),
          ...(this.opts.folder ? { folder: this.opts.folder } : {}),
          onProgress: (sent, total) =>
            this.uppy.emit('upload-progress', current(), { uploadStarted: started, bytesUploaded: sent, bytesTotal: total }),
          onPhase: (phase) => void (phase === 'create-asset' && this.#committed.add(file.id)),
        });
      });
      this.#extraIds.delete(file.id);
      if (signal.aborted) return this.opts.onSettledAfterCancel?.(current(), toBody(result));
      this.uppy.emit('upload-success', current(), {
        status: 200,
        // Uppy's own uploaders type the server's body as the app's B the same way.
        body: toBody(result) as unknown as B,
        ...(result.url ? { uploadURL: result.url } : {}),
      });
    } catch (err) {
      // A removed or cancelled file is gone from Uppy; reporting it as failed would resurrect it.
      if (signal.aborted) {
        if (this.#committed.has(file.id)) this.opts.onSettledAfterCancel?.(current(), undefined);
        return;
      }
      const error =
        err instanceof TitanError ? err : new TitanError('error', err instanceof Error ? err.message : String(err), { cause: err });
      this.uppy.emit('upload-error', current(), error);
    } finally {
      this.#committed.delete(file.id);
      events.remove();
    }
  }

  /** The file's extra_id, asked once; a failed request is asked again on the next attempt. */
  #extraId(file: UppyFile<M, B>, name: string): Promise<string | undefined> {
    const provider = this.opts.extraIdProvider;
    if (!provider) return Promise.resolve(undefined);
    let id = this.#extraIds.get(file.id);
    if (!id) {
      // The provider runs after the promise is cached, so even a synchronous throw is forgotten.
      id = Promise.resolve(file)
        .then(provider)
        .then(
          (value) => value || undefined,
          (err: unknown) => {
            this.#extraIds.delete(file.id);
            const cause = err instanceof Error ? err.message : String(err);
            throw new TitanError('extra-id', `Could not get an extra_id for ${name}: ${cause}`, { cause: err });
          },
        );
      this.#extraIds.set(file.id, id);
    }
    return id;
  }
}

/** Uppy's `meta.relativePath` (a dropped or picked folder's file), without a leading `/`. */
export const relativePath = (file: UppyFile<Meta, Body>) => String(file.meta.relativePath ?? '').replace(/^\/+/, '');

/** The folder a file was dropped or picked in, if any. */
function topFolder(file: UppyFile<Meta, Body>): string | undefined {
  const parts = relativePath(file).split('/');
  return parts.length > 1 && parts[0] ? parts[0] : undefined;
}

export function toBody(result: Omit<UploadAssetResult, 'md5'> & { md5: string }): TitanBody {
  return {
    cid: result.cid,
    deduplicated: result.deduplicated,
    verified: result.verified,
    md5: result.md5,
    report: result.report,
    ...(result.url ? { url: result.url } : {}),
    ...(result.extraId ? { extraId: result.extraId } : {}),
    ...(result.nodeId ? { nodeId: result.nodeId } : {}),
  };
}

/**
 * Runs `task` in its turn in `queue` (Uppy's FIFO TaskQueue). `signal` takes a waiting task out
 * of the queue with the typed `aborted` error; a task already running is never rejected by the
 * queue: it watches `signal` itself, and past create_asset it finishes so its outcome is reported.
 */
function inTurn<T>(queue: TaskQueue, signal: AbortSignal, task: () => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(abortedError());
  let started = false;
  const queued = queue.add(() => ((started = true), task()));
  const leave = () => void (started || queued.abort(abortedError()));
  signal.addEventListener('abort', leave, { once: true });
  return queued.finally(() => signal.removeEventListener('abort', leave));
}
