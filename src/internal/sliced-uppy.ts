import Uppy, { type Body, type Meta, type MinimalRequiredUppyFile } from '@uppy/core';

/** Files added per main-thread task when many arrive at once. */
export const ADD_SLICE = 100;

/**
 * Uppy whose `addFiles` keeps the page responsive for large batches. Uppy copies its whole
 * file map once per file it adds, so one batch costs O(n²): 1,000 dropped files block the main
 * thread for a quarter of a second. Here a batch over 100 files goes in slices of 100, one task
 * each, in order (later batches queue behind). The first slice goes in at once and its errors
 * reach the caller as before; a batch that an aggregate restriction could refuse
 * (`maxNumberOfFiles`, `maxTotalFileSize`) stays whole, so Uppy accepts or refuses it as one.
 * `upload()` waits for files still being added; `cancelAll()` and `destroy()` drop the slices
 * not added yet.
 */
export class SlicedUppy<M extends Meta, B extends Body> extends Uppy<M, B> {
  #adding = Promise.resolve();
  #queued = 0;
  /** Bumped by cancelAll/destroy: slices queued before it are dropped. */
  #generation = 0;

  override addFiles(files: MinimalRequiredUppyFile<M, B>[]): void {
    const { maxNumberOfFiles, maxTotalFileSize } = this.opts.restrictions;
    const whole = files.length <= ADD_SLICE || !!maxNumberOfFiles || !!maxTotalFileSize;
    let rest = files;
    if (this.#queued === 0) {
      if (whole) return super.addFiles(files);
      super.addFiles(files.slice(0, ADD_SLICE));
      rest = files.slice(ADD_SLICE);
    }
    const slices = whole
      ? [rest]
      : Array.from({ length: Math.ceil(rest.length / ADD_SLICE) }, (_, i) => rest.slice(i * ADD_SLICE, (i + 1) * ADD_SLICE));
    for (const slice of slices) this.#enqueue(slice);
  }

  /** Adds `slice` in a task of its own, after every slice queued before it. */
  #enqueue(slice: MinimalRequiredUppyFile<M, B>[]): void {
    const generation = this.#generation;
    this.#queued++;
    this.#adding = this.#adding.then(
      () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            this.#queued--;
            try {
              if (generation === this.#generation) super.addFiles(slice);
            } catch (err) {
              // Uppy has shown these in its info bar already; there is no caller left to tell.
              this.log(err as Error, 'error');
            }
            resolve();
          }),
        ),
    );
  }

  /** Resolves once every file handed to `addFiles` so far is in Uppy's state. */
  filesAdded(): Promise<void> {
    return this.#adding;
  }

  override cancelAll(): void {
    this.#generation++;
    super.cancelAll();
  }

  override destroy(): void {
    this.#generation++;
    super.destroy();
  }

  override async upload(): ReturnType<Uppy<M, B>['upload']> {
    await this.#adding;
    return super.upload();
  }
}
