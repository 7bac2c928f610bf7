// The uploader plugin's part for a folder stored as one asset (`folders: 'asset'`), loaded when
// the first such folder is stored: one TitanClient.uploadFolder, its progress and outcome told
// to Uppy for every file of the folder.
import type { Body, EventManager, Meta, Uppy, UppyFile } from '@uppy/core';
import { TitanError } from './errors.js';
import type { relativePath, toBody, TitanBody, TitanUploadPluginOptions } from './plugin.js';

/**
 * What the plugin lends this chunk: taken as arguments, not imported, so that the bundles do not
 * split the plugin's module (and Uppy's) out into chunks of their own for this chunk's sake.
 */
export interface FolderPluginDeps {
  EventManager: typeof EventManager;
  relativePath: typeof relativePath;
  toBody: typeof toBody;
}

export async function uploadFolderFiles<M extends Meta, B extends Body>(
  uppy: Uppy<M, B>,
  opts: TitanUploadPluginOptions<M, B>,
  name: string,
  members: UppyFile<M, B>[],
  { EventManager, relativePath, toBody }: FolderPluginDeps,
): Promise<void> {
  const controller = new AbortController();
  const events = new EventManager(uppy);
  let removed: string | undefined;
  for (const m of members) {
    events.onFileRemove(m.id, () => ((removed ??= m.name ?? m.id), controller.abort()));
    events.onCancelAll(m.id, () => controller.abort());
  }
  const { signal } = controller;
  const started = Date.now();
  const each = (f: (file: UppyFile<M, B>) => void) => members.forEach((m) => f(uppy.getFile(m.id) ?? m));
  const files = members.map((m) => ({ fileId: m.id, path: relativePath(m).split('/').slice(1).join('/'), size: m.size ?? 0 }));
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  try {
    if (members.some((m) => m.isRemote || !(m.data instanceof Blob)))
      throw new TitanError('unsupported', 'Only local files can be uploaded to Titan.');
    const extraId = await opts.folderExtraIdProvider?.({ name, size: bytes, files: files.length }).catch((err: unknown) => {
      throw new TitanError('extra-id', `Could not get an extra_id for ${name}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    });
    const message = opts.hashingMessage ?? 'Hashing…';
    const result = await opts.client.uploadFolder(
      members.map((m, i) => ({ path: files[i]!.path, data: m.data as Blob })),
      {
        name,
        signal,
        ...(extraId ? { extraId } : {}),
        ...(opts.areaId?.length ? { areaId: opts.areaId } : {}),
        ...(opts.groupId !== undefined ? { groupId: opts.groupId } : {}),
        ...(opts.folder ? { folder: opts.folder } : {}),
        onHashProgress: (done, total) =>
          each((f) => uppy.emit('preprocess-progress', f, { mode: 'determinate', message, value: total ? done / total : 1 })),
        // Each file's share of the CAR sent so far.
        onProgress: (sent, total) =>
          each((f) =>
            uppy.emit('upload-progress', f, {
              uploadStarted: started,
              bytesUploaded: Math.round((f.size ?? 0) * (sent / total)),
              bytesTotal: f.size ?? 0,
            }),
          ),
        onPhase: (phase) => void (phase === 'create-asset' && each((f) => uppy.emit('preprocess-complete', f))),
      },
    );
    const body: TitanBody = {
      ...toBody({ ...result, md5: '' }),
      folder: { id: `folder:${name}:${members[0]!.id}`, name, size: result.size, files },
    };
    each((f) =>
      uppy.emit('upload-success', f, { status: 200, body: body as unknown as B, ...(result.url ? { uploadURL: result.url } : {}) }),
    );
  } catch (err) {
    if (signal.aborted && !removed) return; // cancel all: Uppy forgot the files
    // A file removed from the folder stops it: the others fail, to be uploaded again without it.
    const error =
      removed !== undefined
        ? new TitanError('aborted', `${removed} was removed from the folder ${name}; upload the folder again.`)
        : err instanceof TitanError
          ? err
          : new TitanError('error', err instanceof Error ? err.message : String(err), { cause: err });
    each((f) => uppy.getFile(f.id) && uppy.emit('upload-error', f, error));
  } finally {
    events.remove();
  }
}
