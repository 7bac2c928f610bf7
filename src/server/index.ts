// Node-only helpers for app backends. No DOM imports here.
export * from './titan.js';
export * from './callback.js';
export * from './handlers.js';
export * from './digime.js';
export * from './node.js';
