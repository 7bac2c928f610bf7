// SlicedUppy: large batches go into Uppy in slices of ADD_SLICE, one task each, in order, and
// uploads wait for all of them; batches an aggregate restriction could refuse stay whole.
import { expect } from '@open-wc/testing';
import type { Meta, Body } from '@uppy/core';
import { ADD_SLICE, SlicedUppy } from '../../src/internal/sliced-uppy.js';

const descriptors = (count: number, prefix = 'f') =>
  Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i}.txt`,
    type: 'text/plain',
    data: new File([`${prefix} ${i}`], `${prefix}-${i}.txt`),
  }));

const names = (uppy: SlicedUppy<Meta, Body>) => uppy.getFiles().map((f) => f.name);

describe('SlicedUppy', () => {
  let uppy: SlicedUppy<Meta, Body>;
  afterEach(() => uppy.destroy());

  it('adds the first slice at once and the rest in later tasks, in order, behind later batches too', async () => {
    uppy = new SlicedUppy();
    const added: number[] = [];
    uppy.on('files-added', (files) => added.push(files.length));
    const batch = descriptors(2 * ADD_SLICE + 50);
    uppy.addFiles(batch);
    expect(uppy.getFiles()).to.have.length(ADD_SLICE);
    uppy.addFiles(descriptors(2, 'late'));
    expect(uppy.getFiles(), 'a small batch waits behind the queued slices').to.have.length(ADD_SLICE);
    await uppy.filesAdded();
    expect(added).to.deep.equal([ADD_SLICE, ADD_SLICE, 50, 2]);
    expect(names(uppy)).to.deep.equal([...batch.map((d) => d.name), 'late-0.txt', 'late-1.txt']);
  });

  it('keeps a small batch whole and synchronous', () => {
    uppy = new SlicedUppy();
    uppy.addFiles(descriptors(ADD_SLICE));
    expect(uppy.getFiles()).to.have.length(ADD_SLICE);
  });

  it('upload() waits for every slice', async () => {
    uppy = new SlicedUppy();
    const uploaded: string[] = [];
    uppy.addUploader(async (ids) => void uploaded.push(...ids));
    uppy.addFiles(descriptors(ADD_SLICE * 3 + 1));
    const result = await uppy.upload();
    expect(uploaded).to.have.length(ADD_SLICE * 3 + 1);
    expect(result?.successful).to.have.length(ADD_SLICE * 3 + 1);
  });

  it('cancelAll() drops the slices not added yet; files added afterwards go in again', async () => {
    uppy = new SlicedUppy();
    uppy.addFiles(descriptors(3 * ADD_SLICE));
    uppy.cancelAll();
    await uppy.filesAdded();
    expect(uppy.getFiles()).to.have.length(0);
    uppy.addFiles(descriptors(ADD_SLICE + 1, 'again'));
    await uppy.filesAdded();
    expect(uppy.getFiles()).to.have.length(ADD_SLICE + 1);
  });

  it('refuses a batch over maxNumberOfFiles whole, as Uppy does, and says why', async () => {
    uppy = new SlicedUppy({ restrictions: { maxNumberOfFiles: ADD_SLICE + 10 } });
    const refused: string[] = [];
    uppy.on('restriction-failed', (_file, error) => refused.push(error.message));
    uppy.addFiles(descriptors(ADD_SLICE + 11));
    await uppy.filesAdded();
    expect(uppy.getFiles()).to.have.length(0);
    expect(refused.join(' ')).to.match(/110 files/);
  });
});
