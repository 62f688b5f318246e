export * from './connection.js';
export * from './loaders.js';
export type * from './rows.js';
export * from './flush-writer.js';
