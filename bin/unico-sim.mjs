#!/usr/bin/env node
// `unico-sim` as npm links it: the built bundle in an installed package (Node does not strip types
// inside node_modules), the TypeScript source in a clone of this repository (Node 24 runs it as is).
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin/unico-sim.js', import.meta.url);
await import(existsSync(built) ? built.href : new URL('./unico-sim.ts', import.meta.url).href);
