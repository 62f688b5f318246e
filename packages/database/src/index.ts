export * from './connection.js';
export * from './loaders.js';
export type * from '@oncilla/rows';
export * from './flush-writer.js';
