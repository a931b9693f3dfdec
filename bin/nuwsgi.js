#!/usr/bin/env node
// V8's young generation stays at its first size (1 MiB semi-spaces) instead of doubling under
// load: that holds the master's RSS about 4 MiB lower, and the hello bench showed no cost in
// requests per second (docs/performance.md, "The master's memory"). It is set before the server's
// modules are loaded, as compiling them is enough to grow the space once; V8 reads the factor each
// time it would grow it, which is why setting it at run time works where --max-semi-space-size
// would not.
import v8 from 'node:v8';

v8.setFlagsFromString('--semi-space-growth-factor=1');
await import('../dist/src/cli.js');
