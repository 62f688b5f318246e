export * from './lists.js';
export type * from './flush.js';
