export * from './titan/index.js';
export * from './universa/index.js';
export * from './digime/index.js';
