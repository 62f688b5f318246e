export * from './connection.js';
export * from './loaders.js';
